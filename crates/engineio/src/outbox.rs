//! A session's outgoing packets: one bounded queue whichever transport carries them, so
//! nothing is lost or reordered when the session moves from polling to WebSocket.

use std::collections::VecDeque;
use std::sync::Mutex;

use duplex_engineio_proto::{Message, Packet};

use crate::prepared::{Outgoing, PreparedMessage};
use tokio::sync::Notify;

/// The queue. Producers are the application and the session's own timers; the consumer is
/// whichever transport is active (a pending GET, or the WebSocket task).
#[derive(Debug)]
pub(crate) struct Outbox {
    queue: Mutex<VecDeque<Outgoing>>,
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
            queue.push_back(Outgoing::Packet(Packet::Message(message)));
        }
        self.wake();
        Ok(())
    }

    /// Queues a prepared message, or hands it back when `capacity` packets wait.
    pub(crate) fn push_prepared(&self, message: PreparedMessage) -> Result<(), PreparedMessage> {
        {
            let mut queue = self.lock();
            if queue.len() >= self.capacity {
                return Err(message);
            }
            queue.push_back(Outgoing::Prepared(message));
        }
        self.wake();
        Ok(())
    }

    /// Queues messages together (nothing else between them: a Socket.IO packet and its binary
    /// attachments), or hands them all back when they do not all fit.
    pub(crate) fn push_all(&self, batch: Vec<Message>) -> Result<(), Vec<Message>> {
        {
            let mut queue = self.lock();
            if queue.len() + batch.len() > self.capacity {
                return Err(batch);
            }
            queue.extend(
                batch
                    .into_iter()
                    .map(|m| Outgoing::Packet(Packet::Message(m))),
            );
        }
        self.wake();
        Ok(())
    }

    /// Queues prepared messages together (nothing else between them: a Socket.IO packet and
    /// its binary attachments), or none of them when they do not all fit.
    pub(crate) fn push_prepared_all(&self, batch: &[PreparedMessage]) -> bool {
        {
            let mut queue = self.lock();
            if queue.len() + batch.len() > self.capacity {
                return false;
            }
            queue.extend(batch.iter().cloned().map(Outgoing::Prepared));
        }
        self.wake();
        true
    }

    /// Queues a protocol packet (ping, pong, noop, close): these are few and never refused.
    pub(crate) fn push_control(&self, packet: Packet) {
        self.lock().push_back(Outgoing::Packet(packet));
        self.wake();
    }

    /// Takes every queued packet, in order.
    pub(crate) fn take_all(&self) -> Vec<Outgoing> {
        let mut queue = self.lock();
        let packets: Vec<Outgoing> = queue.drain(..).collect();
        // An idle session keeps no buffer (the queue of a burst can be large).
        if queue.capacity() > 64 {
            queue.shrink_to(0);
        }
        drop(queue);
        if !packets.is_empty() {
            // For `drained`.
            self.wake();
        }
        packets
    }

    /// Whether nothing waits to be sent.
    pub(crate) fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Takes the packets for one long-poll response: everything queued, except that a close
    /// packet behind other packets waits for the next poll. engine.io writes the close in a
    /// response of its own, and clients rely on it: socket.io-client handles the packets of a
    /// payload one tick later than the close, so a close sharing their payload would overtake
    /// them (a `41` before it would read as `transport close`).
    pub(crate) fn take_for_poll(&self) -> Vec<Outgoing> {
        let mut queue = self.lock();
        let cut = queue
            .iter()
            .position(|o| matches!(o, Outgoing::Packet(Packet::Close)))
            .map_or(queue.len(), |at| at.max(1));
        let packets: Vec<Outgoing> = queue.drain(..cut).collect();
        if queue.is_empty() && queue.capacity() > 64 {
            queue.shrink_to(0);
        }
        drop(queue);
        if !packets.is_empty() {
            self.wake();
        }
        packets
    }

    /// Waits until the queue is empty.
    pub(crate) async fn drained(&self) {
        loop {
            let changed = self.changed();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.is_empty() {
                return;
            }
            changed.await;
        }
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

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Outgoing>> {
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
        let batch = [
            PreparedMessage::new("x"),
            PreparedMessage::new("y"),
            PreparedMessage::new("z"),
        ];
        assert!(!outbox.push_prepared_all(&batch));
        assert!(outbox.push_prepared_all(&batch[..2]));
        assert_eq!(outbox.take_all().len(), 2);
        let m = |s: &str| Packet::Message(Message::text(s));
        outbox.push(Message::text("a")).unwrap();
        outbox.push(Message::text("b")).unwrap();
        assert_eq!(outbox.push(Message::text("c")), Err(Message::text("c")));
        outbox.push_control(Packet::Noop);
        let taken: Vec<Packet> = outbox
            .take_all()
            .into_iter()
            .map(Outgoing::into_packet)
            .collect();
        assert_eq!(taken, [m("a"), m("b"), Packet::Noop]);
        assert!(outbox.take_all().is_empty());
        outbox.push(Message::text("d")).unwrap();
    }

    #[test]
    fn a_close_behind_other_packets_waits_for_the_next_poll() {
        let outbox = Outbox::new(8);
        outbox.push(Message::text("a")).unwrap();
        outbox.push_control(Packet::Close);
        let first: Vec<Packet> = outbox
            .take_for_poll()
            .into_iter()
            .map(Outgoing::into_packet)
            .collect();
        assert_eq!(first, [Packet::Message(Message::text("a"))]);
        let second: Vec<Packet> = outbox
            .take_for_poll()
            .into_iter()
            .map(Outgoing::into_packet)
            .collect();
        assert_eq!(second, [Packet::Close]);
        assert!(outbox.take_for_poll().is_empty());
    }

    #[tokio::test]
    async fn an_enabled_waiter_sees_a_push_made_before_it_awaits() {
        let outbox = Outbox::new(8);
        let changed = outbox.changed();
        tokio::pin!(changed);
        changed.as_mut().enable();
        outbox.push_control(Packet::Noop);
        changed.await;
        assert_eq!(outbox.take_all(), [Outgoing::Packet(Packet::Noop)]);
    }
}
