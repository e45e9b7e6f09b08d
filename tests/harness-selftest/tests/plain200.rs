//! 200 trivial plain libtest tests: the baseline of the harness-overhead
//! benchmark (it also runs, instantly, under `cargo test`).

macro_rules! ten {
    () => {
        #[test]
        fn t0() {}
        #[test]
        fn t1() {}
        #[test]
        fn t2() {}
        #[test]
        fn t3() {}
        #[test]
        fn t4() {}
        #[test]
        fn t5() {}
        #[test]
        fn t6() {}
        #[test]
        fn t7() {}
        #[test]
        fn t8() {}
        #[test]
        fn t9() {}
    };
}

macro_rules! mods {
    ($($m:ident)*) => { $( mod $m { ten!(); } )* };
}

mods!(m00 m01 m02 m03 m04 m05 m06 m07 m08 m09 m10 m11 m12 m13 m14 m15 m16 m17 m18 m19);
