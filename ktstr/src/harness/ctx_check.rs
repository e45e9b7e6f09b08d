//! [`CtxCheck`]: `ctx.check(&reports)?` — a [`Checker`] bound to the test's
//! context, with one builder method per threshold (from the thresholds'
//! declaration), that records its verdict for the test's record.

use super::Ctx;
use crate::check::{CheckFailed, Checker, ThresholdKey};

/// A [`Checker`] bound to a [`Ctx`]: adjust thresholds with the builder
/// methods, then [`done`](CtxCheck::done) records the verdict and fails the
/// test if any check failed.
#[must_use = "checks do nothing until .done()"]
pub struct CtxCheck<'a> {
    ctx: &'a Ctx,
    checker: Checker,
}

impl<'a> CtxCheck<'a> {
    /// `checker` bound to `ctx`.
    pub(super) fn new(ctx: &'a Ctx, checker: Checker) -> CtxCheck<'a> {
        CtxCheck { ctx, checker }
    }
}

macro_rules! delegate {
    ($($name:ident / $key:ident: $ty:ident = $default:tt, unit $unit:literal,
       check $kind:ident => $eval:ident, $doc:literal;)*) => {
        impl CtxCheck<'_> {
            $(
                #[doc = concat!("See [`Checker::", stringify!($name), "`].")]
                pub fn $name(self, v: $ty) -> Self {
                    CtxCheck { ctx: self.ctx, checker: self.checker.$name(v) }
                }
            )*
        }
    };
}
crate::check::for_each_threshold!(delegate);

impl CtxCheck<'_> {
    /// See [`Checker::off`].
    pub fn off(self, key: ThresholdKey) -> Self {
        CtxCheck {
            ctx: self.ctx,
            checker: self.checker.off(key),
        }
    }

    /// See [`Checker::no_spread_check`].
    pub fn no_spread_check(self) -> Self {
        CtxCheck {
            ctx: self.ctx,
            checker: self.checker.no_spread_check(),
        }
    }

    /// Evaluate, record the verdict, and fail unless it
    /// [passed](Verdict::passed). A passing verdict is printed to the
    /// test's output (each result `pass` or `n/a` with the reason; shown
    /// with `--nocapture`); a failing one is printed once, by the harness,
    /// from the error.
    pub fn done(self) -> anyhow::Result<()> {
        let verdict = self.checker.evaluate();
        if verdict.passed() {
            eprint!("ktstr: checks of {} passed:\n{verdict}", self.ctx.name);
        }
        self.ctx
            .recorded
            .borrow_mut()
            .verdicts
            .push(verdict.clone());
        verdict
            .into_result()
            .map(drop)
            .map_err(|e: CheckFailed| anyhow::Error::new(e))
    }
}
