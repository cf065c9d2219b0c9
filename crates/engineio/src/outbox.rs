//! A session's outgoing packets: one bounded queue whichever transport carries them, so
//! nothing is lost or reordered when the session moves from polling to WebSocket.

use std::collections::VecDeque;
use std::sync::Mutex;

use duplex_engineio_proto::{Message, Packet};
use tokio::sync::Notify;

/// The queue. Producers are the application and the session's own timers; the consumer is
/// whichever transport is active (a pending GET, or the WebSocket task).
#[derive(Debug)]
pub(crate) struct Outbox {
    queue: Mutex<VecDeque<Packet>>,
    capacity: usize,
    changed: Notify,
}

impl Outbox {
    pub(crate) fn new(capacity: usize) -> Outbox {
        Outbox {
            queue: Mutex::new(VecDeque::new()),
            capacity,
            changed: Notify::new(),
        }
    }

    /// Queues an application message, or hands it back when `capacity` packets wait.
    pub(crate) fn push(&self, message: Message) -> Result<(), Message> {
        {
            let mut queue = self.lock();
            if queue.len() >= self.capacity {
                return Err(message);
            }
            queue.push_back(Packet::Message(message));
        }
        self.wake();
        Ok(())
    }

    /// Queues a protocol packet (ping, pong, noop, close): these are few and never refused.
    pub(crate) fn push_control(&self, packet: Packet) {
        self.lock().push_back(packet);
        self.wake();
    }

    /// Takes every queued packet, in order.
    pub(crate) fn take_all(&self) -> Vec<Packet> {
        let mut queue = self.lock();
        let packets: Vec<Packet> = queue.drain(..).collect();
        // An idle session keeps no buffer (the queue of a burst can be large).
        if queue.capacity() > 64 {
            queue.shrink_to(0);
        }
        packets
    }

    /// Wakes every waiting consumer, which then looks at the queue and the session state.
    pub(crate) fn wake(&self) {
        self.changed.notify_waiters();
    }

    /// Waits for the next [`wake`](Outbox::wake). To not miss one, create and `enable` the
    /// future before looking at the queue, then await it.
    pub(crate) fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Packet>> {
        // A panic while holding this lock cannot leave the queue half-updated.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_for_messages_not_for_control_packets() {
        let outbox = Outbox::new(2);
        let m = |s: &str| Packet::Message(Message::text(s));
        outbox.push(Message::text("a")).unwrap();
        outbox.push(Message::text("b")).unwrap();
        assert_eq!(outbox.push(Message::text("c")), Err(Message::text("c")));
        outbox.push_control(Packet::Noop);
        assert_eq!(outbox.take_all(), [m("a"), m("b"), Packet::Noop]);
        assert!(outbox.take_all().is_empty());
        outbox.push(Message::text("d")).unwrap();
    }

    #[tokio::test]
    async fn an_enabled_waiter_sees_a_push_made_before_it_awaits() {
        let outbox = Outbox::new(8);
        let changed = outbox.changed();
        tokio::pin!(changed);
        changed.as_mut().enable();
        outbox.push_control(Packet::Noop);
        changed.await;
        assert_eq!(outbox.take_all(), [Packet::Noop]);
    }
}
