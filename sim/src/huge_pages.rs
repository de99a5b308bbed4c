//! Transparent huge pages for the large arrays written at random places: the
//! synapse records of a build (filled in the order the network file draws
//! them) and the engine's delay ring (delivered to random targets). With 4 KiB
//! pages, each of those writes also misses the TLB; on Linux, where
//! transparent huge pages are on "madvise" (Debian's default), advising such
//! an array before it is first touched gets it 2 MiB pages. Measured at 10^9
//! synapses (`docs/scaling.md`). Elsewhere, or when refused, nothing changes.

/// Arrays smaller than this keep small pages (they fit the TLB's reach anyway).
const MIN_BYTES: usize = 64 << 20;

/// Ask for huge pages under `v`, a fresh (untouched) allocation; whole 2 MiB
/// pages inside it only. Advice: the contents and behaviour do not change.
pub(crate) fn advise<T>(v: &[T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let bytes = std::mem::size_of_val(v);
        if bytes < MIN_BYTES {
            return;
        }
        let first = v.as_ptr() as usize;
        let start = first.next_multiple_of(HUGE);
        let end = (first + bytes) / HUGE * HUGE;
        if end > start {
            // SAFETY: madvise(MADV_HUGEPAGE) on whole pages inside a live
            // allocation of this process changes how it is backed, never
            // what it holds; a failure (no THP in this kernel) is ignored.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_leaves_the_contents_alone() {
        // Not aligned to a huge page at either end, on purpose.
        let mut v = vec![0u32; (MIN_BYTES + (3 << 20)) / 4 + 7];
        v[5] = 9;
        advise(&v[1..]);
        assert!(v.iter().enumerate().all(|(i, &x)| x == if i == 5 { 9 } else { 0 }));
        for (i, x) in v.iter_mut().enumerate().step_by(4099) {
            *x = i as u32;
        }
        assert!(v.iter().enumerate().step_by(4099).all(|(i, &x)| x == i as u32));
        advise(&v[..10]);
    }
}
