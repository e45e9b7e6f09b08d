// `retries = K` registers K; without it a test has none.
use ktstr::__private::TestEntry;
use ktstr::harness::Ctx;

#[ktstr::test(retries = 2)]
fn twice_more(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(retries = 10, should_fail = false)]
fn ten_more(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test]
fn none(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {
    let retries = |name: &str| {
        ktstr::__private::inventory::iter::<TestEntry>
            .into_iter()
            .find(|e| e.name == name)
            .map(|e| e.spec().retries)
    };
    assert_eq!(retries("twice_more"), Some(2));
    assert_eq!(retries("ten_more"), Some(10));
    assert_eq!(retries("none"), Some(0));
}
