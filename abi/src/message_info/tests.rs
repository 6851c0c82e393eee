//! Tests for the MessageInfo packing, checked construction and kernel-side clamping.

use super::*;
use std::string::ToString;

const LABEL_MAX: Word = (1 << 52) - 1;

#[test]
fn packs_boundary_values() {
    let zero = MessageInfo::new(0, 0, 0, 0).unwrap();
    assert_eq!(zero.word(), 0);
    assert_eq!(zero, MessageInfo::default());

    let max = MessageInfo::new(LABEL_MAX, 7, 3, 120).unwrap();
    assert_eq!(max.label(), LABEL_MAX);
    assert_eq!(max.caps_unwrapped(), 7);
    assert_eq!(max.extra_caps(), 3);
    assert_eq!(max.length(), 120);
    assert_eq!(max.word(), (LABEL_MAX << 12) | (7 << 9) | (3 << 7) | 120);
}

#[test]
fn field_positions() {
    assert_eq!(MessageInfo::new(1, 0, 0, 0).unwrap().word(), 1 << 12);
    assert_eq!(MessageInfo::new(0, 1, 0, 0).unwrap().word(), 1 << 9);
    assert_eq!(MessageInfo::new(0, 0, 1, 0).unwrap().word(), 1 << 7);
    assert_eq!(MessageInfo::new(0, 0, 0, 1).unwrap().word(), 1);
    let m = MessageInfo::new(0x1234, 5, 2, 77).unwrap();
    assert_eq!(
        (m.label(), m.caps_unwrapped(), m.extra_caps(), m.length()),
        (0x1234, 5, 2, 77)
    );
    assert_eq!(MessageInfo::from_word_clamped(m.word()), m);
}

#[test]
fn checked_constructor_errors() {
    assert_eq!(
        MessageInfo::new(1 << 52, 0, 0, 0),
        Err(MessageInfoError::Label(1 << 52))
    );
    assert_eq!(
        MessageInfo::new(0, 8, 0, 0),
        Err(MessageInfoError::CapsUnwrapped(8))
    );
    assert_eq!(
        MessageInfo::new(0, 0, 4, 0),
        Err(MessageInfoError::ExtraCaps(4))
    );
    assert_eq!(
        MessageInfo::new(0, 0, 0, 121),
        Err(MessageInfoError::Length(121))
    );
    assert_eq!(
        MessageInfo::new(0, 0, 0, 128),
        Err(MessageInfoError::Length(128))
    );
    assert_eq!(
        MessageInfoError::Length(121).to_string(),
        "length 121 exceeds 120"
    );
    assert_eq!(
        MessageInfoError::ExtraCaps(4).to_string(),
        "extraCaps 4 exceeds 3"
    );
    assert!(
        MessageInfoError::Label(1 << 52)
            .to_string()
            .contains("label")
    );
    assert!(
        MessageInfoError::CapsUnwrapped(9)
            .to_string()
            .contains("capsUnwrapped")
    );
}

#[test]
fn kernel_clamps_length() {
    for raw in 121..=127 {
        let m = MessageInfo::from_word_clamped((42 << 12) | raw);
        assert_eq!(m.length(), 120);
        assert_eq!(m.label(), 42);
    }
    for raw in 0..=120 {
        assert_eq!(MessageInfo::from_word_clamped(raw).length(), raw as usize);
    }
}

#[test]
fn all_bits_set_decodes() {
    let m = MessageInfo::from_word_clamped(Word::MAX);
    assert_eq!(m.label(), LABEL_MAX);
    assert_eq!(m.caps_unwrapped(), 7);
    assert_eq!(m.extra_caps(), 3);
    assert_eq!(m.length(), 120);
    assert_eq!(m, MessageInfo::new(LABEL_MAX, 7, 3, 120).unwrap());
}

#[test]
fn builders_mask_to_field_width() {
    let base = MessageInfo::new(9, 1, 1, 10).unwrap();
    let m = base.with_caps_unwrapped(0b1010);
    assert_eq!(m.caps_unwrapped(), 0b010);
    assert_eq!((m.label(), m.extra_caps(), m.length()), (9, 1, 10));

    let m = base.with_extra_caps(3);
    assert_eq!(m.extra_caps(), 3);
    assert_eq!(base.with_extra_caps(5).extra_caps(), 1);
    assert_eq!(m.length(), 10);

    assert_eq!(base.with_length(4).length(), 4);
    assert_eq!(base.with_length(127).length(), 120);
    assert_eq!(base.with_length(128 + 5).length(), 5);
    assert_eq!(base.with_length(0).label(), 9);

    let m = base.with_label(Word::MAX);
    assert_eq!(m.label(), LABEL_MAX);
    assert_eq!((m.caps_unwrapped(), m.extra_caps(), m.length()), (1, 1, 10));
}
