//! The process allocator: mimalloc, tuned to hand memory back promptly.
//!
//! Decoding pages allocates many small values on the source's tasks that
//! the sink's task frees; mimalloc does this much faster than the system
//! allocator (in `bench/`, REST → JSON Lines went from about 1.05× to
//! 1.3–1.5× the naive loop; REST → PostgreSQL append moved less than this
//! machine's noise). Its defaults commit arenas eagerly and
//! keep freed pages for a second, which doubled peak RSS (about 80 MiB
//! instead of 40); committing on demand and purging after 50 ms keeps it
//! near the system allocator's. The options must be set before the first
//! allocation, which happens before `main`, so on Linux they are set from
//! the executable's initialisation array. `MIMALLOC_*` environment
//! variables still win.

#[global_allocator]
static ALLOCATOR: Mimalloc = Mimalloc;

/// mimalloc, asked for alignment only when a type needs more than a word.
///
/// The `mimalloc` crate's allocator calls `mi_malloc_aligned` for every
/// allocation; in mimalloc 3 that often takes its generic path, which was
/// about a third of a transformed record's allocation cost. Every mimalloc
/// block is aligned to a word (its size classes are multiples of eight
/// bytes), so `mi_malloc` serves any layout of that alignment or less.
struct Mimalloc;

/// The alignment every mimalloc block has.
const WORD: usize = std::mem::size_of::<usize>();

/// mimalloc's entry point for `layout`: `plain` (word-aligned) when the
/// layout needs no more, else `aligned`.
///
/// # Safety
///
/// As the `GlobalAlloc` method calling it.
#[inline(always)]
unsafe fn allocate(
    layout: std::alloc::Layout,
    plain: unsafe extern "C" fn(usize) -> *mut std::ffi::c_void,
    aligned: unsafe extern "C" fn(usize, usize) -> *mut std::ffi::c_void,
) -> *mut u8 {
    // SAFETY: mimalloc serves any size; `aligned` gets a power of two.
    unsafe {
        if layout.align() <= WORD {
            plain(layout.size()).cast()
        } else {
            aligned(layout.size(), layout.align()).cast()
        }
    }
}

// SAFETY: each method hands mimalloc's own functions a layout they serve
// (word-aligned by `mi_malloc` and friends, larger alignments by the
// `_aligned` variants), and frees only pointers mimalloc allocated.
unsafe impl std::alloc::GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            allocate(
                layout,
                libmimalloc_sys::mi_malloc,
                libmimalloc_sys::mi_malloc_aligned,
            )
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            allocate(
                layout,
                libmimalloc_sys::mi_zalloc,
                libmimalloc_sys::mi_zalloc_aligned,
            )
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: see the impl.
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if layout.align() <= WORD {
                libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

/// `mi_option_arena_eager_commit` in mimalloc's option enum.
#[cfg(target_os = "linux")]
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
/// `mi_option_purge_delay` in mimalloc's option enum (milliseconds).
#[cfg(target_os = "linux")]
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Runs before `main` (and before Rust's runtime allocates), like a C
/// constructor.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE_BEFORE_MAIN: extern "C" fn() = tune;

/// Sets the options that the environment does not set.
#[cfg(target_os = "linux")]
extern "C" fn tune() {
    for (option, value, env) in [
        (ARENA_EAGER_COMMIT, 0, c"MIMALLOC_ARENA_EAGER_COMMIT"),
        (PURGE_DELAY, 50, c"MIMALLOC_PURGE_DELAY"),
    ] {
        // `std::env` allocates, and nothing may allocate yet: ask libc.
        // SAFETY: `getenv` reads the environment with a NUL-terminated
        // name; `mi_option_set` stores a value in mimalloc's option table,
        // valid for these options at any time.
        unsafe {
            if getenv(env.as_ptr()).is_null() {
                libmimalloc_sys::mi_option_set(option, value);
            }
        }
    }
}

#[cfg(target_os = "linux")]
unsafe extern "C" {
    fn getenv(name: *const std::ffi::c_char) -> *mut std::ffi::c_char;
}
