//! `docs/hosted.md`'s "Exit status" section lists the exit statuses of every `selvm`
//! command: this test checks that its table is exactly `selvm_machine::status::TABLE`
//! (code, name and meaning, in order), and that `selvm run --help` and `selvm --help`
//! print the table and its pointer.

use selvm_machine::status::TABLE;
use std::process::Command;

/// The table rows of the doc's "## Exit status" section: (code, name, meaning).
fn documented() -> Vec<(String, String, String)> {
    let path = format!("{}/../../docs/hosted.md", env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(path).unwrap();
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Exit status\n"))
        .expect("docs/hosted.md has an `## Exit status` section");
    section
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---") && !l.starts_with("| status"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 3, "a row is | status | name | meaning |: {l}");
            let name = cells[1].trim_matches('`');
            (cells[0].into(), name.into(), cells[2].into())
        })
        .collect()
}

#[test]
fn the_doc_lists_exactly_the_status_table() {
    let want: Vec<(String, String, String)> = TABLE
        .iter()
        .map(|s| (s.code.to_string(), s.name.into(), s.meaning.into()))
        .collect();
    assert_eq!(documented(), want);
}

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_selvm"))
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn run_help_prints_every_status_and_the_top_level_help_points_to_it() {
    let run = help(&["run", "--help"]);
    let top = help(&["--help"]);
    for s in TABLE {
        let line = format!("{:>3}  {}", s.code, s.meaning);
        assert!(
            run.contains(&line),
            "{line:?} missing from `selvm run --help`"
        );
        let short = format!("{} {}", s.code, s.name);
        assert!(
            top.contains(&short),
            "{short:?} missing from `selvm --help`"
        );
    }
    assert!(top.contains("selvm run --help"), "{top}");
}
