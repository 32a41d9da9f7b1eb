//! Unsupported syntax is a compile error at the offending span that says what to write
//! instead. The expected messages live beside each case in `ui/*.stderr`.

#[test]
fn unsupported_syntax_is_a_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
