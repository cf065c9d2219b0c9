//! One write-readiness waker for two tasks.
//!
//! Both halves of a split socket write: the sender its messages, the receiver the
//! automatic replies (pongs, the close echo) it queues. A transport keeps a single
//! waker for write readiness, so whichever half polled last would silently take the
//! other's wake-up. Writes are therefore polled with this waker, which wakes both.

use std::sync::Arc;
use std::task::{Wake, Waker};

use futures_util::task::AtomicWaker;

/// Which half is polling a write.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Side {
    Receiver,
    Sender,
}

#[derive(Debug, Default)]
struct Pair {
    receiver: AtomicWaker,
    sender: AtomicWaker,
}

impl Wake for Pair {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.receiver.wake();
        self.sender.wake();
    }
}

/// The shared waker and the two slots behind it.
#[derive(Debug)]
pub(crate) struct WriteWaker {
    pair: Arc<Pair>,
    waker: Waker,
}

impl Default for WriteWaker {
    fn default() -> Self {
        let pair = Arc::new(Pair::default());
        let waker = Waker::from(pair.clone());
        WriteWaker { pair, waker }
    }
}

impl WriteWaker {
    /// Records `task` as the side's waker and returns the waker to poll writes with.
    pub(crate) fn register(&self, side: Side, task: &Waker) -> &Waker {
        match side {
            Side::Receiver => self.pair.receiver.register(task),
            Side::Sender => self.pair.sender.register(task),
        }
        &self.waker
    }
}
