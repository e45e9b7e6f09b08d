//! Compile-time behaviour of `#[ktstr::test]`: each `ui/*.rs` case must fail
//! to compile with exactly the committed `.stderr` (errors spanned at the
//! offending token); each `ui_pass/*.rs` case must compile and run (it
//! checks what the attribute registered).
//!
//! Regenerate the `.stderr` files after a deliberate message change with
//! `TRYBUILD=overwrite cargo test -p ktstr --test macro_ui`, then read them.

#[test]
fn macro_ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui_pass/*.rs");
}
