//! No invocation label or message layout is written out by hand outside `abi`'s
//! invocation table in libsel4's object functions, the test kit and the generic kernel
//! decoders: they name labels, message registers and extra caps through the table's
//! argument structs and index constants. A scan of those files for the shapes a
//! hand-written layout takes: in decoders a register or cap read by number or a length
//! compared with a number; in senders a label given as a number or turned into a raw
//! word, a label next to a register array, a raw message. The few deliberate raw
//! messages are listed with their reason.

use std::path::{Path, PathBuf};

/// What a covered file does with messages.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Builds and sends them (libsel4's object functions, the test kit).
    Sender,
    /// Reads them (the generic kernel decoders).
    Decoder,
}

/// The files the rule covers and their kind.
fn covered() -> Vec<(PathBuf, Kind)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["user/libsel4/src/object", "kernel/testkit/src"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("a source directory")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        found.sort();
        files.extend(found.into_iter().map(|p| (p, Kind::Sender)));
    }
    let decoders = [
        "cnode.rs",
        "untyped.rs",
        "irq.rs",
        "frame.rs",
        "page_table.rs",
        "asid_pool.rs",
        "domain.rs",
        "tcb_invocation/mod.rs",
        "tcb_invocation/perform.rs",
    ];
    let object = root.join("kernel/src/object");
    files.extend(decoders.iter().map(|f| (object.join(f), Kind::Decoder)));
    files
}

/// Lines allowed to build a message by hand: (file name, text on the line, why).
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "exec.rs",
        "Message::raw(label,",
        "the random CNode run's Raw op: any label, registers and caps, on purpose",
    ),
    (
        "thread_ops.rs",
        "call(k, thread(t), Self::tcb_label(label), &mrs, &[me])",
        "the random thread run's Raw op: any TCB label with any registers, on purpose",
    ),
    (
        "threads.rs",
        "syscall(k, Syscall::Call, cap, label.word(), mrs, extra)",
        "threads::call, the raw form for messages of another shape than the table's",
    ),
];

/// Whether a number starts right after `needle` (past any of `skip`) on `line`.
fn number_after(line: &str, needle: &str, skip: &[char]) -> bool {
    line.match_indices(needle).any(|(i, _)| {
        let rest = line[i + needle.len()..].trim_start_matches(skip);
        rest.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// Whether `line` names a label (`L::Name`, `V::Name`) right before a register array.
fn label_then_registers(line: &str) -> bool {
    ["L::", "V::"].iter().any(|l| {
        line.match_indices(l).any(|(i, _)| {
            let after = &line[i + l.len()..];
            let end = after
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .unwrap_or(after.len());
            let rest = after[end..].trim_start();
            rest.starts_with(", &[") || rest.starts_with(", &mrs")
        })
    })
}

/// Whether `line` calls `threads::call` (not `syscall`, nor a backend's `b.call`).
fn raw_call(line: &str) -> bool {
    line.match_indices("call(k,").any(|(i, _)| {
        !line[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    })
}

/// Why `line` of a file of `kind` looks like a hand-written label or layout, if it does.
fn hand_written(line: &str, kind: Kind) -> Option<&'static str> {
    let code = line.split("//").next().unwrap_or("");
    let compare: &[char] = &[' ', '<', '>', '=', '!'];
    let label_word = ["L::", "V::", "InvocationLabel::"]
        .iter()
        .any(|l| code.contains(l) && code.contains(".word()"));
    let decoder: [(bool, &'static str); 6] = [
        (
            number_after(code, ".mr(", &[' ']),
            "a message register read by number",
        ),
        (
            number_after(code, "mrs.get(", &[' ']) || number_after(code, "mrs[", &[' ']),
            "message registers read by number",
        ),
        (
            number_after(code, "extra_cap(", &[' ']) || number_after(code, "extra[", &[' ']),
            "an extra cap read by number",
        ),
        (
            number_after(code, "mrs.len()", compare) || code.contains("mrs.is_empty()"),
            "a length checked against a number",
        ),
        (
            number_after(code, "label", compare),
            "a label compared with a number",
        ),
        (
            number_after(code, "from_word(", &[' ']),
            "a label written as a number",
        ),
    ];
    let sender: [(bool, &'static str); 5] = [
        (
            number_after(code, "label", &[' ', ':', '('])
                || number_after(code, "from_word(", &[' ']),
            "a label written as a number",
        ),
        (
            number_after(code, "set_mr(", &[' ']) || number_after(code, "set_cap(", &[' ']),
            "a message register or cap written by number",
        ),
        (
            label_word,
            "a label turned into a raw word (a message built beside the table)",
        ),
        (
            label_then_registers(code) || code.contains(".word(), mrs"),
            "a label next to a register array (a message built beside the table)",
        ),
        (
            code.contains("Message::raw(") || raw_call(code),
            "a raw message (any shape) sent",
        ),
    ];
    let checks: &[(bool, &'static str)] = match kind {
        Kind::Decoder => &decoder,
        Kind::Sender => &sender,
    };
    checks.iter().find(|(hit, _)| *hit).map(|(_, why)| *why)
}

#[test]
fn the_rules_catch_hand_written_layouts() {
    let decoder_bad = [
        "let w = inv.mr(3);",
        "let (a, b) = (inv.mr(0), inv.mr(1));",
        "if inv.mrs.len() < 2 {",
        "Some(root) if inv.mrs.len() >= 6 => root,",
        "if inv.mrs.is_empty() {",
        "let Some(c) = inv.extra_cap(1) else {",
        "let (Some(c), Some(v)) = (inv.extra[0], inv.extra[1]) else {",
        "let values = mrs.get(2..).unwrap_or(&[]);",
        "if inv.label != 29 {",
        "match L::from_word(17) {",
    ];
    let sender_bad = [
        "Message { label: 19, mrs, extra }",
        "ipc::set_mr(4, rights.word());",
        "invoke(service, L::CNodeCopy.word(), &mrs, &[root])",
        "invoke(service, V::ModuleSeal.word(), &[length], &[])",
        "call(k, cap, L::TcbResume, &[], &[])",
        "s.send(ROOT, L::CNodeCopy, &[D, 64, EP, 64], &[ROOT])",
        "let msg = Message::raw(label, &mrs, &extra);",
        "L::from_word(2 + Word::from(sel) % 14)",
        "call(k, thread(t), L::TcbResume, &[], &[])",
    ];
    for line in decoder_bad {
        assert!(
            hand_written(line, Kind::Decoder).is_some(),
            "not caught: {line}"
        );
    }
    for line in sender_bad {
        assert!(
            hand_written(line, Kind::Sender).is_some(),
            "not caught: {line}"
        );
    }
    let good = [
        "let w = inv.mr(TcbSetPriority::PRIORITY);",
        "if inv.mrs.len() < CNodeRevoke::MRS {",
        "let c = inv.extra_cap(CNodeMove::SRC_ROOT);",
        "if inv.label != InvocationLabel::UntypedRetype.word() {",
        "b.call(service, &CNodeRevoke { index, depth }, &mut []).map(drop)",
        "let msg = Message::of(&decoded);",
        "syscall(k, Syscall::Yield, 0, 0, &[], &[])",
        "// MR0 is the index (a comment may say so)",
    ];
    for line in good {
        let alarms = [Kind::Decoder, Kind::Sender].map(|kind| hand_written(line, kind));
        let expected = if line.contains(".word()") {
            [None, alarms[1]]
        } else {
            [None, None]
        };
        assert_eq!(alarms, expected, "a false alarm: {line}");
    }
}

#[test]
fn no_invocation_layout_is_written_by_hand_outside_the_table() {
    let files = covered();
    assert!(files.len() > 20, "the covered files are found: {files:?}");
    let mut found = Vec::new();
    let mut used = vec![false; ALLOWED.len()];
    for (path, kind) in &files {
        let text = std::fs::read_to_string(path).expect("a readable source file");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Unit tests check the wire format against SEL4-FACTS with literal numbers on
        // purpose: only the code before them is covered.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, line) in code.lines().enumerate() {
            let Some(why) = hand_written(line, *kind) else {
                continue;
            };
            let allowed = ALLOWED
                .iter()
                .position(|(file, text, _)| *file == name && line.contains(text));
            match allowed {
                Some(a) => used[a] = true,
                None => found.push(format!(
                    "{}:{}: {why}: {}",
                    path.display(),
                    i + 1,
                    line.trim()
                )),
            }
        }
    }
    assert!(
        found.is_empty(),
        "labels or layouts written by hand (use the table's argument structs and \
         index constants, or list a deliberate raw message in ALLOWED):\n{}",
        found.join("\n")
    );
    for ((file, text, _), used) in ALLOWED.iter().zip(used) {
        assert!(used, "ALLOWED lists {file}: {text}, which no longer occurs");
    }
}
