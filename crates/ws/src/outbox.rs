//! Bytes waiting to be written: a buffer for frames encoded here, and shared
//! payloads written by reference.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::AsyncWrite;

/// How many pieces one vectored write hands to the kernel at most.
const MAX_SLICES: usize = 16;

/// Output in order: the `shared` pieces first, then `tail`, where new frames are
/// encoded. A large payload is queued as its own piece (after freezing what the tail
/// held before it), so it reaches the kernel without being copied here.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    shared: VecDeque<Bytes>,
    shared_len: usize,
    tail: BytesMut,
}

impl Outbox {
    /// Where the next frames are encoded.
    pub(crate) fn buf(&mut self) -> &mut BytesMut {
        &mut self.tail
    }

    /// Queues `payload` after everything encoded so far.
    pub(crate) fn push_shared(&mut self, payload: Bytes) {
        if !self.tail.is_empty() {
            let encoded = self.tail.split().freeze();
            self.push(encoded);
        }
        self.push(payload);
    }

    fn push(&mut self, piece: Bytes) {
        self.shared_len += piece.len();
        self.shared.push_back(piece);
    }

    /// Bytes queued.
    pub(crate) fn len(&self) -> usize {
        self.shared_len + self.tail.len()
    }

    /// Whether nothing is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops what is queued and the buffer's memory.
    pub(crate) fn clear(&mut self) {
        *self = Outbox::default();
    }

    /// Frees the buffer's memory when nothing is queued (an idle connection).
    pub(crate) fn release_if_empty(&mut self) {
        if self.is_empty() {
            self.clear();
        }
    }

    /// Writes until everything queued is written.
    pub(crate) fn poll_write<W>(
        &mut self,
        mut io: Pin<&mut W>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>>
    where
        W: AsyncWrite + ?Sized,
    {
        while !self.is_empty() {
            let written = if self.shared.is_empty() {
                ready!(io.as_mut().poll_write(cx, &self.tail))?
            } else {
                let mut slices = [IoSlice::new(&[]); MAX_SLICES];
                let mut count = 0;
                for piece in self.shared.iter().take(MAX_SLICES) {
                    slices[count] = IoSlice::new(piece);
                    count += 1;
                }
                if count < MAX_SLICES && !self.tail.is_empty() {
                    slices[count] = IoSlice::new(&self.tail);
                    count += 1;
                }
                ready!(io.as_mut().poll_write_vectored(cx, &slices[..count]))?
            };
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.advance(written);
        }
        Poll::Ready(Ok(()))
    }

    fn advance(&mut self, mut written: usize) {
        while written > 0 {
            let Some(front) = self.shared.front_mut() else {
                self.tail.advance(written);
                return;
            };
            let step = written.min(front.len());
            front.advance(step);
            self.shared_len -= step;
            written -= step;
            if front.is_empty() {
                self.shared.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that accepts at most `limit` bytes a call, vectored or not.
    struct Trickle {
        written: Vec<u8>,
        limit: usize,
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let n = buf.len().min(self.limit);
            self.written.extend_from_slice(&buf[..n]);
            Poll::Ready(Ok(n))
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let mut n = 0;
            for buf in bufs {
                let take = buf.len().min(self.limit - n);
                self.written.extend_from_slice(&buf[..take]);
                n += take;
                if n == self.limit {
                    break;
                }
            }
            Poll::Ready(Ok(n))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn pieces_leave_in_order_under_short_writes() {
        for limit in [1, 3, 7, 64, 10_000] {
            let mut outbox = Outbox::default();
            let mut expected = Vec::new();
            for i in 0..40u8 {
                if i % 3 == 0 {
                    let piece = Bytes::from(vec![i; 50 + usize::from(i)]);
                    expected.extend_from_slice(&piece);
                    outbox.push_shared(piece);
                } else {
                    outbox.buf().extend_from_slice(&[i; 5]);
                    expected.extend_from_slice(&[i; 5]);
                }
            }
            assert_eq!(outbox.len(), expected.len());
            let mut writer = Trickle {
                written: Vec::new(),
                limit,
            };
            let waker = futures_util::task::noop_waker();
            let mut cx = Context::from_waker(&waker);
            assert!(matches!(
                outbox.poll_write(Pin::new(&mut writer), &mut cx),
                Poll::Ready(Ok(()))
            ));
            assert_eq!(writer.written, expected, "limit {limit}");
            assert!(outbox.is_empty());
        }
    }
}
