//! Compile-fail and compile-pass cases of the route macros (trybuild).
//!
//! Each `ui-tests/fail/*.rs` holds one mistake and its reviewed `.stderr`.
//! After a deliberate change to a message: `TRYBUILD=overwrite cargo test --test ui`,
//! then review the diff of the `.stderr` files like code.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui-tests/fail/*.rs");
    cases.pass("ui-tests/pass/*.rs");
}
