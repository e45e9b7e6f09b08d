use ktstr::harness::{Ctx, TestEntry};

#[ktstr::test(payloads = ["stress-ng", "hackbench"])]
fn with_payloads(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {
    let e = ktstr::__private::inventory::iter::<TestEntry>
        .into_iter()
        .find(|e| e.name == "with_payloads")
        .expect("registered");
    assert_eq!(e.payloads, &["stress-ng", "hackbench"]);
}
