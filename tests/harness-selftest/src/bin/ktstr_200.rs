//! 200 trivial ktstr tests: the harness-overhead benchmark's subject.

use ktstr::prelude::*;

macro_rules! ten {
    () => {
        #[ktstr::test]
        fn t0(_ctx: &mut Ctx) -> Result<()> {
            Ok(())
        }
        #[ktstr::test]
        fn t1(_ctx: &mut Ctx) -> Result<()> {
            Ok(())
        }
        #[ktstr::test]
        fn t2(_ctx: &mut Ctx) -> Result<()> {
            Ok(())
        }
        #[ktstr::test]
        fn t3(_ctx: &mut Ctx) -> Result<()> {
            Ok(())
        }
        #[ktstr::test]
        fn t4(_ctx: &mut Ctx) -> Result<()> {
            Ok(())
        }
        #[ktstr::test]
        fn t5(_ctx: &mut Ctx) -> Result<()> {
            Ok(())
        }
        #[ktstr::test]
        fn t6(_ctx: &mut Ctx) -> Result<()> {
            Ok(())
        }
        #[ktstr::test]
        fn t7(_ctx: &mut Ctx) -> Result<()> {
            Ok(())
        }
        #[ktstr::test]
        fn t8(_ctx: &mut Ctx) -> Result<()> {
            Ok(())
        }
        #[ktstr::test]
        fn t9(_ctx: &mut Ctx) -> Result<()> {
            Ok(())
        }
    };
}

macro_rules! mods {
    ($($m:ident)*) => { $( mod $m { use super::*; ten!(); } )* };
}

mods!(m00 m01 m02 m03 m04 m05 m06 m07 m08 m09 m10 m11 m12 m13 m14 m15 m16 m17 m18 m19);

ktstr::main!();
