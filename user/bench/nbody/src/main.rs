//! The n-body simulation of the Computer Language Benchmarks Game (five Jovian planets,
//! symplectic integrator): f64 arithmetic, sqrt and struct fields in memory.
//! `run(n)` advances n steps and returns the bits of the final energy.

#![no_std]
#![no_main]

use bench_common::sqrt;

const PI: f64 = core::f64::consts::PI;
const SOLAR_MASS: f64 = 4.0 * PI * PI;
const DAYS_PER_YEAR: f64 = 365.24;

#[derive(Clone, Copy)]
struct Body {
    pos: [f64; 3],
    vel: [f64; 3],
    mass: f64,
}

const fn body(pos: [f64; 3], vel: [f64; 3], mass: f64) -> Body {
    Body {
        pos,
        vel: [vel[0] * DAYS_PER_YEAR, vel[1] * DAYS_PER_YEAR, vel[2] * DAYS_PER_YEAR],
        mass: mass * SOLAR_MASS,
    }
}

const BODIES: [Body; 5] = [
    body([0.0; 3], [0.0; 3], 1.0),
    body(
        [4.841_431_442_464_72, -1.160_320_044_027_428_4, -0.103_622_044_471_123_11],
        [1.660_076_642_744_037e-3, 7.699_011_184_197_404e-3, -6.904_600_169_720_63e-5],
        9.547_919_384_243_266e-4,
    ),
    body(
        [8.343_366_718_244_58, 4.124_798_564_124_305, -4.035_234_171_143_214e-1],
        [-2.767_425_107_268_624e-3, 4.998_528_012_349_172e-3, 2.304_172_975_737_639_3e-5],
        2.858_859_806_661_308e-4,
    ),
    body(
        [1.289_436_956_213_913_1e1, -1.511_115_140_169_863_1e1, -2.233_075_788_926_557_3e-1],
        [2.964_601_375_647_616e-3, 2.378_471_739_594_809_5e-3, -2.965_895_685_402_375_6e-5],
        4.366_244_043_351_563e-5,
    ),
    body(
        [1.537_969_711_485_091_1e1, -2.591_931_460_998_796_4e1, 1.792_587_729_503_711_8e-1],
        [2.680_677_724_903_893_2e-3, 1.628_241_700_382_423e-3, -9.515_922_545_197_159e-5],
        5.151_389_020_466_114_5e-5,
    ),
];

fn offset_momentum(bodies: &mut [Body; 5]) {
    let mut p = [0.0; 3];
    for b in bodies.iter() {
        for k in 0..3 {
            p[k] += b.vel[k] * b.mass;
        }
    }
    for k in 0..3 {
        bodies[0].vel[k] = -p[k] / SOLAR_MASS;
    }
}

fn energy(bodies: &[Body; 5]) -> f64 {
    let mut e = 0.0;
    for i in 0..5 {
        let b = &bodies[i];
        e += 0.5 * b.mass * (b.vel[0] * b.vel[0] + b.vel[1] * b.vel[1] + b.vel[2] * b.vel[2]);
        for c in &bodies[i + 1..] {
            let d = [b.pos[0] - c.pos[0], b.pos[1] - c.pos[1], b.pos[2] - c.pos[2]];
            e -= b.mass * c.mass / sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        }
    }
    e
}

#[inline(never)]
fn advance(bodies: &mut [Body; 5], dt: f64) {
    for i in 0..5 {
        for j in i + 1..5 {
            let d = [
                bodies[i].pos[0] - bodies[j].pos[0],
                bodies[i].pos[1] - bodies[j].pos[1],
                bodies[i].pos[2] - bodies[j].pos[2],
            ];
            let d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            let mag = dt / (d2 * sqrt(d2));
            let (mi, mj) = (bodies[i].mass, bodies[j].mass);
            for k in 0..3 {
                bodies[i].vel[k] -= d[k] * mj * mag;
                bodies[j].vel[k] += d[k] * mi * mag;
            }
        }
    }
    for b in bodies.iter_mut() {
        for k in 0..3 {
            b.pos[k] += dt * b.vel[k];
        }
    }
}

/// The benchmark entry (see the module doc).
#[unsafe(no_mangle)]
pub extern "C" fn run(n: i32) -> i64 {
    let mut bodies = BODIES;
    offset_momentum(&mut bodies);
    for _ in 0..n {
        advance(&mut bodies, 0.01);
    }
    energy(&bodies).to_bits() as i64
}
