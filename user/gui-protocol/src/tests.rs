//! The decoder against arbitrary messages (property tests: it never panics, whatever
//! it accepts is in range, and what clients encode decodes to itself) and the geometry.

use super::*;
use proptest::prelude::*;

fn any_request() -> impl Strategy<Value = Request> {
    let pos = -MAX_POSITION..=MAX_POSITION;
    let side = 1..=MAX_SIDE;
    let title = proptest::collection::vec(0x20u8..0x7f, 0..=8).prop_map(|v| {
        let mut t = [0u8; 8];
        t[..v.len()].copy_from_slice(&v);
        t
    });
    prop_oneof![
        (pos.clone(), pos, side.clone(), side.clone(), title).prop_map(
            |(x, y, width, height, title)| Request::CreateWindow {
                x,
                y,
                width,
                height,
                title
            }
        ),
        (0..MAX_SIDE as i32, 0..MAX_SIDE as i32, side.clone(), side)
            .prop_map(|(x, y, w, h)| Request::Damage(Rect::new(x, y, w, h))),
        Just(Request::CloseWindow),
        Just(Request::NextEvent),
        any::<u64>().prop_map(Request::ClientGone),
    ]
}

/// Registers biased towards the edges of every range the decoder checks.
fn any_word() -> impl Strategy<Value = Word> {
    prop_oneof![
        any::<u64>(),
        0u64..2048,
        Just(u64::MAX),
        Just((-(MAX_POSITION as i64) - 1) as u64),
        Just(MAX_POSITION as u64 + 1),
        Just(MAX_SIDE as u64),
        Just(MAX_SIDE as u64 + 1),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn decoding_anything_never_panics_and_accepts_only_ranges(
        label in prop_oneof![0u64..20, any::<u64>()],
        length in 0usize..=120,
        caps in 0u64..4,
        mrs in proptest::collection::vec(any_word(), 0..=120),
        launcher in any::<bool>(),
    ) {
        let sender = if launcher { Sender::Launcher } else { Sender::Client(1) };
        match decode(sender, label, length, caps, &mrs) {
            Ok(Request::CreateWindow { x, y, width, height, title }) => {
                prop_assert!(x.abs() <= MAX_POSITION && y.abs() <= MAX_POSITION);
                prop_assert!((1..=MAX_SIDE).contains(&width));
                prop_assert!((1..=MAX_SIDE).contains(&height));
                prop_assert!(title.iter().all(|&b| b == 0 || (0x20..0x7f).contains(&b)));
            }
            Ok(Request::Damage(r)) => {
                prop_assert!(r.x >= 0 && r.y >= 0 && !r.is_empty());
                prop_assert!(r.right() < 2 * MAX_SIDE as i64);
            }
            Ok(Request::ClientGone(_)) => prop_assert!(launcher),
            Ok(_) => prop_assert!(length == 0 && !launcher),
            Err(e) => prop_assert_eq!(ErrorCode::from_word(e.word()), Some(e)),
        }
    }

    #[test]
    fn what_a_client_encodes_decodes_to_itself(req in any_request()) {
        let mut mrs = [0; 5];
        let (label, length) = encode(&req, &mut mrs);
        let sender = match req {
            Request::ClientGone(_) => Sender::Launcher,
            _ => Sender::Client(3),
        };
        prop_assert_eq!(decode(sender, label, length, 0, &mrs), Ok(req));
        // One register fewer or more, or a cap attached, is refused.
        prop_assert_eq!(decode(sender, label, length + 1, 0, &mrs), Err(ErrorCode::BadLength));
        if length > 0 {
            prop_assert_eq!(decode(sender, label, length - 1, 0, &mrs), Err(ErrorCode::BadLength));
        }
        prop_assert_eq!(decode(sender, label, length, 1, &mrs), Err(ErrorCode::CapsNotAccepted));
    }

    #[test]
    fn intersections_lie_in_both_and_unions_hold_both(
        a in (-50i32..50, -50i32..50, 0u32..60, 0u32..60),
        b in (-50i32..50, -50i32..50, 0u32..60, 0u32..60),
        p in (-60i32..120, -60i32..120),
    ) {
        let (a, b) = (Rect::new(a.0, a.1, a.2, a.3), Rect::new(b.0, b.1, b.2, b.3));
        let (i, u) = (a.intersect(&b), a.union(&b));
        prop_assert_eq!(i.contains(p.0, p.1), a.contains(p.0, p.1) && b.contains(p.0, p.1));
        if a.contains(p.0, p.1) || b.contains(p.0, p.1) {
            prop_assert!(u.contains(p.0, p.1));
        }
    }
}

#[test]
fn malformed_requests_get_their_error() {
    let c = Sender::Client(2);
    let good = [10, 20, 100, 50, u64::from_le_bytes(*b"paint\0\0\0")];
    assert!(decode(c, label::CREATE_WINDOW, 5, 0, &good).is_ok());
    let cases: [(Word, usize, Word, &[Word], ErrorCode); 9] = [
        (99, 0, 0, &[], ErrorCode::UnknownRequest),
        (label::CREATE_WINDOW, 4, 0, &good, ErrorCode::BadLength),
        (label::CREATE_WINDOW, 5, 0, &good[..3], ErrorCode::BadLength),
        (
            label::CREATE_WINDOW,
            5,
            0,
            &[10, 20, 0, 50, 0],
            ErrorCode::BadGeometry,
        ),
        (
            label::CREATE_WINDOW,
            5,
            0,
            &[10, 20, 2000, 50, 0],
            ErrorCode::BadGeometry,
        ),
        (
            label::CREATE_WINDOW,
            5,
            0,
            &[u64::MAX / 2, 0, 8, 8, 0],
            ErrorCode::BadGeometry,
        ),
        (
            label::CREATE_WINDOW,
            5,
            0,
            &[0, 0, 8, 8, 0x0a41],
            ErrorCode::BadTitle,
        ),
        (label::CLIENT_GONE, 1, 0, &[1], ErrorCode::NotPermitted),
        (label::NEXT_EVENT, 0, 2, &[], ErrorCode::CapsNotAccepted),
    ];
    for (label, length, caps, mrs, want) in cases {
        assert_eq!(
            decode(c, label, length, caps, mrs),
            Err(want),
            "{label} {mrs:?}"
        );
    }
    // The launcher sends only CLIENT_GONE.
    let close = decode(Sender::Launcher, label::CLOSE_WINDOW, 0, 0, &[]);
    assert_eq!(close, Err(ErrorCode::NotPermitted));
    // Negative positions are fine (a window partly off screen); a title with a gap is not.
    assert!(decode(c, label::CREATE_WINDOW, 5, 0, &[-5i64 as u64, 0, 8, 8, 0]).is_ok());
    let gap = u64::from_le_bytes(*b"a\0b\0\0\0\0\0");
    assert_eq!(
        decode(c, label::CREATE_WINDOW, 5, 0, &[0, 0, 8, 8, gap]),
        Err(ErrorCode::BadTitle)
    );
}

#[test]
fn decorations_surround_the_content() {
    let c = Rect::new(100, 50, 80, 40);
    let f = geometry::frame(&c);
    assert_eq!(f, Rect::new(99, 33, 82, 58));
    assert_eq!(geometry::hit(&c, 100, 50), Some(geometry::Part::Content));
    assert_eq!(geometry::hit(&c, 110, 40), Some(geometry::Part::Frame));
    let close = geometry::close_box(&c);
    assert_eq!(
        geometry::hit(&c, close.x + 1, close.y + 1),
        Some(geometry::Part::Close)
    );
    assert_eq!(geometry::hit(&c, 99, 33), Some(geometry::Part::Frame));
    assert_eq!(geometry::hit(&c, 98, 33), None);
    assert!(close.intersect(&geometry::title_bar(&c)) == close);
}

#[test]
fn events_round_trip_through_registers() {
    let e = Event {
        kind: event::BUTTON_DOWN,
        code: 0,
        x: -3,
        y: 7,
        buttons: 1,
    };
    assert_eq!(Event::from_words(e.words()), e);
}
