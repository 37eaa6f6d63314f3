//! The flag parser's cases, one `check` row each.

use super::*;

/// Parses `input` and compares the prompt and the options it set.
fn check(input: &str, prompt: &str, flags: FlagSet) {
    let parsed = parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    assert_eq!(parsed.prompt, prompt, "prompt of {input:?}");
    assert_eq!(parsed.flags, flags, "flags of {input:?}");
}

fn check_err(input: &str, expected: FlagError) {
    assert_eq!(parse(input), Err(expected), "{input:?}");
}

const NONE: FlagSet = FlagSet {
    shape: None,
    quality: None,
    background: None,
    format: None,
    n: None,
};

fn aspect(w: u16, h: u16) -> Option<Shape> {
    Some(Shape::Aspect { w, h })
}

#[test]
fn flags_anywhere_prompt_kept() {
    let wide = FlagSet {
        shape: aspect(16, 9),
        ..NONE
    };
    check("a fox --ar 16:9", "a fox", wide);
    check("--ar 16:9 a fox", "a fox", wide);
    check("a --ar 16:9 fox", "a fox", wide);
    check("a fox --aspect=16:9", "a fox", wide);
    check("a fox\u{2014}ar 16:9", "a fox\u{2014}ar 16:9", NONE);
    check("a fox \u{2014}ar 16:9", "a fox", wide);
    check("a fox --ar 16\u{ff1a}9", "a fox", wide);
    check(
        "cat --q high --n 2 --bg transparent --fmt webp",
        "cat",
        FlagSet {
            quality: Some(Quality::High),
            n: Some(2),
            background: Some(Background::Transparent),
            format: Some(OutputFormat::Webp),
            ..NONE
        },
    );
    check(
        "x --quality LOW --size 1024x1536",
        "x",
        FlagSet {
            quality: Some(Quality::Low),
            shape: Some(Shape::Exact {
                width: 1024,
                height: 1536,
            }),
            ..NONE
        },
    );
    // The later of --ar and --size decides the shape.
    check(
        "x --size 1024x1024 --ar 3:2",
        "x",
        FlagSet {
            shape: aspect(3, 2),
            ..NONE
        },
    );
}

#[test]
fn user_text_is_never_mangled() {
    check("  two  spaces\tand tab  ", "two  spaces\tand tab", NONE);
    check(
        "一只猫  在月球上 --n 2 穿着宇航服",
        "一只猫  在月球上 穿着宇航服",
        FlagSet { n: Some(2), ..NONE },
    );
    check(
        "画一只猫\u{3000}--ar 1:1",
        "画一只猫",
        FlagSet {
            shape: aspect(1, 1),
            ..NONE
        },
    );
    check(
        "line one\n--n 3\nline two",
        "line one\nline two",
        FlagSet { n: Some(3), ..NONE },
    );
    check("a - b -- c", "a - b c", NONE);
    check("a---b ---c", "a---b ---c", NONE);
    check("", "", NONE);
    check("--n 2", "", FlagSet { n: Some(2), ..NONE });
}

#[test]
fn double_dash_stops_flags() {
    check(
        "write --n 2 -- --ar is literal  here",
        "write --ar is literal  here",
        FlagSet { n: Some(2), ..NONE },
    );
    check("-- --n 2", "--n 2", NONE);
}

#[test]
fn bad_flags_name_the_flag() {
    check_err(
        "x --foo 1",
        FlagError::Unknown {
            flag: "--foo".into(),
        },
    );
    check_err(
        "x --foo=1",
        FlagError::Unknown {
            flag: "--foo".into(),
        },
    );
    check_err("x --n", FlagError::MissingValue { flag: Flag::N });
    for (input, flag, value) in [
        ("x --n 0", Flag::N, "0"),
        ("x --n 11", Flag::N, "11"),
        ("x --n two", Flag::N, "two"),
        ("x --ar 16x9", Flag::Aspect, "16x9"),
        ("x --ar 0:1", Flag::Aspect, "0:1"),
        ("x --size 10x10", Flag::Size, "10x10"),
        ("x --q ultra", Flag::Quality, "ultra"),
        ("x --bg green", Flag::Background, "green"),
        ("x --fmt gif", Flag::Format, "gif"),
    ] {
        check_err(
            input,
            FlagError::BadValue {
                flag,
                value: value.into(),
            },
        );
    }
    let msg = parse("x --n 11").unwrap_err().to_string();
    assert!(msg.contains("--n") && msg.contains("1-10"), "{msg}");
    let msg = parse("x --fmt gif").unwrap_err().to_string();
    assert!(msg.contains("png, jpeg, webp"), "{msg}");
}

#[test]
fn explicit_flags_win_over_defaults() {
    let defaults = RenderOptions {
        quality: Quality::High,
        n: 3,
        ..RenderOptions::default()
    };
    let opts = parse("x --n 1").unwrap().flags.apply_to(&defaults);
    assert_eq!((opts.n, opts.quality), (1, Quality::High));
    assert_eq!(
        parse_one("ar", "2:3"),
        Ok(FlagSet {
            shape: aspect(2, 3),
            ..NONE
        })
    );
    assert_eq!(
        parse_one("--Q", "high"),
        Ok(FlagSet {
            quality: Some(Quality::High),
            ..NONE
        })
    );
    assert!(parse_one("zoom", "2").is_err());
}
