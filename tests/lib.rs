//! Scheduler test suites that use ktstr as a user would: each `[[test]]`
//! under `suites/` is a `harness = false` target of `#[ktstr::test]`
//! functions run by `ktstr::main!()`. This library only holds what they
//! share.
