//! State shared through [`Mapping`](super::mman::Mapping)s: the types that
//! may live there ([`PageState`]), declared with [`page_state!`], and the
//! cache-line wrapper [`Line`].

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU32, AtomicU64};

/// A type that may live in shared, zero-filled memory and be used from
/// several threads and processes at once: all-zero bytes are a valid
/// value, every field is an atomic (or made of them), and it holds no
/// pointer (which would mean nothing in another process).
///
/// Implemented here for the atomic integers, arrays of `PageState` and
/// [`Line`]; declare a struct made of them with [`page_state!`], which
/// checks every field's type, rather than implementing it by hand.
///
/// # Safety
///
/// Implement only for types meeting the description above.
pub(crate) unsafe trait PageState: Sync + Send + 'static {}

// SAFETY: atomic integers: zero is valid, shared access is atomic.
unsafe impl PageState for AtomicU32 {}
// SAFETY: as above.
unsafe impl PageState for AtomicI32 {}
// SAFETY: as above.
unsafe impl PageState for AtomicU64 {}
// SAFETY: as above.
unsafe impl PageState for AtomicI64 {}
// SAFETY: as above (zero is false).
unsafe impl PageState for AtomicBool {}
// SAFETY: an array of `PageState` values is one.
unsafe impl<T: PageState, const N: usize> PageState for [T; N] {}
// SAFETY: a `PageState` value plus padding.
unsafe impl<T: PageState> PageState for Line<T> {}

/// `T` on a 64-byte cache line of its own, for layouts where different
/// workers write different parts.
#[repr(C, align(64))]
pub(crate) struct Line<T>(pub T);

/// Declare a struct whose fields are all [`PageState`] types, and
/// implement `PageState` for it. A field of any other type is a compile
/// error (an unsatisfied bound of the implementation), so the promise of
/// the unsafe trait is kept by construction.
///
/// ```ignore
/// page_state! {
///     /// The doc.
///     #[repr(C)]
///     pub(crate) struct Turn {
///         turn: AtomicU32,
///         passed_ns: AtomicU64,
///     }
/// }
/// ```
macro_rules! page_state {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($(#[$fmeta])* $fvis $field: $ty),*
        }

        // SAFETY: every field is a `PageState` (the bounds below, which do
        // not compile otherwise), so the struct is one: all-zero is valid,
        // only atomics, no pointers.
        #[allow(unsafe_code)]
        unsafe impl $crate::sys::shm::PageState for $name
        where
            $($ty: $crate::sys::shm::PageState),*
        {
        }
    };
}
pub(crate) use page_state;
