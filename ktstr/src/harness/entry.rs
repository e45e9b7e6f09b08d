//! [`TestEntry`]: the static record `#[ktstr::test]` registers for each test
//! (through `inventory`): its identity, its body, and the function that
//! builds its [`TestSpec`]. Const-constructible, so the attribute can emit
//! `TestEntry { name: .., func: .., spec: .., ..TestEntry::DEFAULT }` into a
//! static; the spec is built only when the harness needs it.

use super::{Ctx, TestSpec};

/// A test body: gets the test's context, returns `Ok` to pass.
pub type TestFn = fn(&mut Ctx) -> anyhow::Result<()>;

/// One registered test.
#[derive(Clone, Copy, Debug)]
pub struct TestEntry {
    /// The function's name.
    pub name: &'static str,
    /// `module_path!()` where it was declared (the crate name is dropped
    /// from the test's full name).
    pub module_path: &'static str,
    /// Source file and line, for the repro line.
    pub file: &'static str,
    /// Line of the function.
    pub line: u32,
    /// The body.
    pub func: TestFn,
    /// Builds the test's settings (what its attribute says).
    pub spec: fn() -> TestSpec,
}

fn default_body(_: &mut Ctx) -> anyhow::Result<()> {
    anyhow::bail!("this TestEntry has no body: set `func`")
}

impl TestEntry {
    /// A template for struct-update syntax; `func` fails until replaced,
    /// `spec` is [`TestSpec::default`].
    pub const DEFAULT: TestEntry = TestEntry {
        name: "",
        module_path: "",
        file: "",
        line: 0,
        func: default_body,
        spec: TestSpec::default,
    };

    /// The name tests are listed and filtered by: the module path without
    /// the crate name, then the function (`fairness::mixed_is_fair`).
    pub fn full_name(&self) -> String {
        match self.module_path.split_once("::") {
            Some((_, rest)) => format!("{rest}::{}", self.name),
            None => self.name.to_string(),
        }
    }

    /// The test's settings.
    pub fn spec(&self) -> TestSpec {
        (self.spec)()
    }
}

inventory::collect!(TestEntry);
