//! `docs/isa.md` carries a reference generated from the instruction table; this test
//! regenerates it and fails if the committed file is stale.
//! Update it with: `SELVM_BLESS=1 cargo test -p selvm-bytecode --test isa_doc`

use selvm_bytecode::isa_doc::{BEGIN_MARKER, END_MARKER, write_reference};

#[test]
fn isa_md_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/isa.md");
    let text = std::fs::read_to_string(path).expect("docs/isa.md exists");
    let begin = text
        .find(BEGIN_MARKER)
        .expect("docs/isa.md has the BEGIN marker")
        + BEGIN_MARKER.len();
    let end = text
        .find(END_MARKER)
        .expect("docs/isa.md has the END marker");
    let mut generated = String::from("\n");
    write_reference(&mut generated).unwrap();
    if text[begin..end] == generated {
        return;
    }
    if std::env::var_os("SELVM_BLESS").is_some() {
        let updated = format!("{}{generated}{}", &text[..begin], &text[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    panic!(
        "docs/isa.md is stale (the instruction table changed).\n\
         Update it with: SELVM_BLESS=1 cargo test -p selvm-bytecode --test isa_doc"
    );
}
