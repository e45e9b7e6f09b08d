use ktstr::__private::TestEntry;
use ktstr::harness::Ctx;

#[ktstr::test(payloads = ["stress-ng", "hackbench"])]
fn with_payloads(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {
    let e = ktstr::__private::inventory::iter::<TestEntry>
        .into_iter()
        .find(|e| e.name == "with_payloads")
        .expect("registered");
    assert_eq!(e.spec().payloads, &["stress-ng", "hackbench"]);
}
