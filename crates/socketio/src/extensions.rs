//! Per-socket typed state.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::RwLock;

/// Values of any type, one per type, attached to a socket (`socket.extensions`).
#[derive(Default)]
pub struct Extensions {
    map: RwLock<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
}

impl Extensions {
    /// Stores `value`, returning the previous value of its type.
    pub fn insert<T: Any + Send + Sync>(&self, value: T) -> Option<T> {
        self.write()
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast().ok().map(|b| *b))
    }

    /// A copy of the value of type `T`.
    pub fn get<T: Any + Clone>(&self) -> Option<T> {
        self.read()
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
            .cloned()
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Any>(&self) -> Option<T> {
        self.write()
            .remove(&TypeId::of::<T>())
            .and_then(|old| old.downcast().ok().map(|b| *b))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<TypeId, Box<dyn Any + Send + Sync>>> {
        self.map.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, HashMap<TypeId, Box<dyn Any + Send + Sync>>> {
        self.map.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &self.read().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_type() {
        let ext = Extensions::default();
        assert_eq!(ext.insert(5u32), None);
        assert_eq!(ext.insert(7u32), Some(5));
        assert_eq!(ext.insert(String::from("nick")), None);
        assert_eq!(ext.get::<u32>(), Some(7));
        assert_eq!(ext.get::<String>().as_deref(), Some("nick"));
        assert_eq!(ext.remove::<u32>(), Some(7));
        assert_eq!(ext.get::<u32>(), None);
    }
}
