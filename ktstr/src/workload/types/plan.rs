//! The one planner of the grouped families: `n` workers in groups of
//! `size`, each group sharing one zero-filled [`SharedPage`] (and, when a
//! family needs it, other per-group state such as descriptors), each member
//! built from its position in the group.

use std::sync::Arc;

use super::group::{PageState, SharedPage};
use super::{Body, Planned};

/// Where a member sits: its group and its position `k` in it (0-based).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Member {
    /// The group's number.
    pub group: usize,
    /// The member's position in its group.
    pub k: usize,
}

/// Plan `n` workers (a multiple of `size`, which the engine checked) in
/// groups of `size`: per group, map one `T` page for `name`, then build
/// each member with `member`, which returns its body and role.
pub(crate) fn plan_groups<T: PageState, B: Body + 'static>(
    name: &str,
    n: usize,
    size: usize,
    mut member: impl FnMut(&Arc<SharedPage<T>>, Member) -> (B, &'static str),
) -> Result<Vec<Planned>, String> {
    plan_groups_with(
        name,
        n,
        size,
        |_, _| Ok(()),
        |page, _, m| {
            let (body, role) = member(page, m);
            (Box::new(body), role)
        },
    )
}

/// [`plan_groups`] for a family with more per-group state than its page:
/// `setup` makes it (the group's descriptors, say) once the page is
/// mapped, and every `member` of the group gets it to take its share.
/// Members may be of different body types.
pub(crate) fn plan_groups_with<T: PageState, G>(
    name: &str,
    n: usize,
    size: usize,
    mut setup: impl FnMut(usize, &SharedPage<T>) -> Result<G, String>,
    mut member: impl FnMut(&Arc<SharedPage<T>>, &mut G, Member) -> (Box<dyn Body>, &'static str),
) -> Result<Vec<Planned>, String> {
    let mut out = Vec::with_capacity(n);
    for group in 0..n / size.max(1) {
        let page = SharedPage::<T>::new(name, group)?;
        let mut shared = setup(group, &page)?;
        for k in 0..size {
            let (body, role) = member(&page, &mut shared, Member { group, k });
            out.push(Planned { body, group, role });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Worker;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Nop;
    impl Body for Nop {
        fn run(&mut self, _: &mut Worker) -> Result<(), String> {
            Ok(())
        }
    }

    #[test]
    fn members_of_a_group_share_its_page_and_only_its_page() {
        let mut pages: Vec<Arc<SharedPage<AtomicU32>>> = Vec::new();
        let plan = plan_groups::<AtomicU32, _>("test", 6, 3, |page, m| {
            page.get().fetch_add(1, Ordering::Relaxed);
            if m.k == 0 {
                pages.push(page.clone());
            }
            (Nop, if m.k == 0 { "first" } else { "other" })
        })
        .unwrap();
        let seats: Vec<(usize, &str)> = plan.iter().map(|p| (p.group, p.role)).collect();
        assert_eq!(
            seats,
            [
                (0, "first"),
                (0, "other"),
                (0, "other"),
                (1, "first"),
                (1, "other"),
                (1, "other")
            ]
        );
        assert_eq!(pages.len(), 2);
        for p in &pages {
            assert_eq!(p.get().load(Ordering::Relaxed), 3, "three members each");
        }
    }

    #[test]
    fn setup_runs_once_per_group_and_its_error_is_returned() {
        let mut groups = Vec::new();
        let plan = plan_groups_with::<AtomicU32, usize>(
            "test",
            4,
            2,
            |g, _| {
                groups.push(g);
                Ok(g * 10)
            },
            |_, shared, m| {
                assert_eq!(*shared, m.group * 10);
                (Box::new(Nop), "member")
            },
        )
        .unwrap();
        assert_eq!(plan.len(), 4);
        assert_eq!(groups, [0, 1]);
        let err = plan_groups_with::<AtomicU32, ()>(
            "test",
            2,
            2,
            |_, _| Err("no room".to_string()),
            |_, _, _| (Box::new(Nop), "member"),
        );
        assert_eq!(err.err().as_deref(), Some("no room"));
    }
}
