//! Reading the files a configuration names (`okta.yaml`, key files):
//! capped while reading and held in zeroizing buffers.
//!
//! [`read_capped`] reads at most `cap + 1` bytes through
//! [`Read::take`](std::io::Read::take): a path naming a huge file, a device
//! or a pipe costs at most the cap, never the whole file.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use zeroize::Zeroizing;

/// Why [`read_capped`] gave up.
#[derive(Debug)]
pub(super) enum ReadError {
    /// The file is longer than the cap.
    TooLarge,
    /// It could not be opened or read.
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// The file's bytes, if it holds at most `cap` bytes. The buffer is
/// zeroized on drop, and grows without leaving copies behind: the files are
/// key files and `okta.yaml`, which can hold secrets.
pub(super) fn read_capped(path: &Path, cap: usize) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let file = File::open(path)?;
    // A regular file says its length: refuse a long one without reading
    // it. Devices and pipes say 0 and are caught by the capped read.
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > cap as u64 {
        return Err(ReadError::TooLarge);
    }
    // `len <= cap` here, so it fits a usize.
    read_limited(file, cap, usize::try_from(len).unwrap_or(cap))
}

/// Reads `reader` to its end, or refuses it after `cap + 1` bytes.
pub(super) fn read_limited(
    reader: impl Read,
    cap: usize,
    size_hint: usize,
) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let limit = cap.saturating_add(1);
    let mut reader = reader.take(limit as u64);
    // One byte over the hint, so that a file of exactly its stated length
    // is read without growing the buffer.
    let mut buf = Zeroizing::new(Vec::with_capacity(size_hint.min(cap).saturating_add(1)));
    loop {
        if buf.len() == buf.capacity() {
            // Grow by hand: `Vec`'s own growth would free the old
            // allocation without wiping it.
            let wanted = buf.capacity().saturating_mul(2).clamp(64, limit);
            let mut bigger = Zeroizing::new(Vec::with_capacity(wanted));
            bigger.extend_from_slice(&buf);
            buf = bigger;
        }
        let filled = buf.len();
        // Within the capacity: no reallocation.
        let room = buf.capacity();
        buf.resize(room, 0);
        let read = reader.read(&mut buf[filled..]);
        let (got, end) = match read {
            Ok(n) => (n, n == 0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => (0, false),
            Err(e) => return Err(e.into()),
        };
        buf.truncate(filled + got);
        if buf.len() > cap {
            return Err(ReadError::TooLarge);
        }
        if end {
            return Ok(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_one_byte_past_the_cap() {
        // An endless reader: refused after cap + 1 bytes.
        let err = read_limited(io::repeat(b'a'), 1000, 0).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge));
        let counted = CountingReader::default();
        let reads = counted.total.clone();
        assert!(matches!(
            read_limited(counted, 1000, 0),
            Err(ReadError::TooLarge)
        ));
        assert_eq!(reads.get(), 1001);
        // At the cap, and below it with a wrong hint: read whole.
        assert_eq!(read_limited(&[7u8; 1000][..], 1000, 0).unwrap().len(), 1000);
        assert_eq!(read_limited(&[7u8; 10][..], 1000, 5000).unwrap().len(), 10);
        assert_eq!(read_limited(&[][..], 1000, 0).unwrap().len(), 0);
    }

    #[derive(Default)]
    struct CountingReader {
        total: std::rc::Rc<std::cell::Cell<usize>>,
    }

    impl Read for CountingReader {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            buf.fill(b'x');
            self.total.set(self.total.get() + buf.len());
            Ok(buf.len())
        }
    }

    #[test]
    fn the_buffer_is_zeroizing() {
        fn zeroizing(_: &Zeroizing<Vec<u8>>) {}
        zeroizing(&read_limited(&b"secret"[..], 100, 0).unwrap());
    }
}
