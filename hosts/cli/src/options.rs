//! Value parsers of the numeric options: each accepts one stated range and refuses
//! anything else (zero where it means nothing, negative, too large, NaN, infinity)
//! as a usage error (status 2) that names the range, before any command starts.
//! `main` lets negative numbers reach these parsers (they would otherwise be taken
//! for unknown flags).

/// The longest `--timeout`: about 31 years, far inside what a `Duration` holds.
pub const MAX_SECONDS: f64 = 1e9;

/// A whole number in `MIN..=MAX`, converted to `T` (every value of the range must
/// fit `T`; a test checks the ranges used).
pub fn whole<T: TryFrom<u64>, const MIN: u64, const MAX: u64>(text: &str) -> Result<T, String> {
    let expected = || {
        format!(
            "expected a whole number from {} to {}",
            grouped(MIN),
            grouped(MAX)
        )
    };
    let value: u64 = text.parse().map_err(|_| expected())?;
    if !(MIN..=MAX).contains(&value) {
        return Err(expected());
    }
    T::try_from(value).map_err(|_| expected())
}

/// Seconds: a finite number greater than 0 and at most [`MAX_SECONDS`].
pub fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= MAX_SECONDS => Ok(s),
        _ => Err(format!(
            "expected seconds: a number greater than 0 and at most {}",
            grouped(MAX_SECONDS as u64)
        )),
    }
}

/// `n` with thousands separators: 1,000,000.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_outside_the_range_are_refused_with_it() {
        assert_eq!(whole::<u32, 1, 10>("10"), Ok(10));
        for bad in [
            "0",
            "11",
            "-1",
            "1e3",
            "",
            " 5",
            "1.0",
            "nan",
            "99999999999999999999",
        ] {
            let e = whole::<u32, 1, 10>(bad).unwrap_err();
            assert_eq!(e, "expected a whole number from 1 to 10", "{bad}");
        }
        assert!(whole::<u8, 0, 1000>("300").is_err(), "does not fit u8");
    }

    /// Every option of every subcommand (recursively), with its subcommand path.
    fn options(c: &clap::Command, path: &[String], out: &mut Vec<(Vec<String>, clap::Arg)>) {
        for arg in c.get_arguments().filter(|a| a.get_long().is_some()) {
            out.push((path.to_vec(), arg.clone()));
        }
        for sub in c.get_subcommands() {
            let mut p = path.to_vec();
            p.push(sub.get_name().to_string());
            options(sub, &p, out);
        }
    }

    /// The audit of class "numeric options": whatever option a command gains, if it
    /// takes a number (it refuses `abc`), it refuses zero-or-negative-or-huge-or-NaN
    /// values outside its range with a message naming the range, and its default is
    /// inside the range.
    #[test]
    fn every_numeric_option_of_every_subcommand_names_its_range() {
        let mut all = Vec::new();
        let mut command = crate::command();
        command.build();
        options(&command, &[], &mut all);
        let parse = |path: &[String], long: &str, value: &str| {
            let mut argv = vec!["selvm".to_string()];
            argv.extend(path.iter().cloned());
            argv.extend([format!("--{long}"), value.to_string()]);
            crate::command().try_get_matches_from(argv)
        };
        let mut numeric = 0;
        for (path, arg) in &all {
            let long = arg.get_long().unwrap();
            let takes_value = arg.get_action().takes_values();
            let refused = |v: &str| {
                parse(path, long, v)
                    .err()
                    .filter(|e| e.kind() == clap::error::ErrorKind::ValueValidation)
            };
            if !takes_value || refused("abc").is_none() {
                continue;
            }
            numeric += 1;
            // (`-inf` is not a number to clap: a usage error as an unknown flag.)
            for bad in [
                "abc",
                "nan",
                "inf",
                "1e999",
                "",
                "-1",
                "-0.5",
                "99999999999999999999999",
            ] {
                let e =
                    refused(bad).unwrap_or_else(|| panic!("{path:?} --{long} {bad:?} accepted"));
                let text = e.to_string();
                assert!(
                    text.contains("expected"),
                    "{path:?} --{long} {bad:?}: {text}"
                );
            }
            for default in arg.get_default_values() {
                let d = default.to_str().unwrap();
                assert!(
                    refused(d).is_none(),
                    "{path:?} --{long}: default {d} refused"
                );
            }
        }
        assert!(numeric >= 15, "only {numeric} numeric options found");
    }

    #[test]
    fn seconds_are_finite_positive_and_bounded() {
        assert_eq!(seconds("0.2"), Ok(0.2));
        assert_eq!(seconds("1e9"), Ok(1e9));
        for bad in ["0", "-1", "inf", "-inf", "nan", "NaN", "1e300", "1e10", "x"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
        assert!(std::time::Duration::try_from_secs_f64(MAX_SECONDS).is_ok());
    }
}
