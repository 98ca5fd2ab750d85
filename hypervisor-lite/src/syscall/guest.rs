//! Declared structures in and out of guest memory: one copy of the structure's bytes through
//! [`Task::get`] / [`Task::put`], converted by its declaration (see [`crate::abi`]).

use super::Errno;
use super::Task;
use crate::abi::layout::Layout;

impl Task {
    /// Reads the structure at `addr` (EFAULT where any of it is unreadable).
    pub fn load<T: Layout>(&self, addr: u64) -> Result<T, Errno> {
        Ok(T::read(&self.get(addr, T::SIZE as u64)?))
    }

    /// Like [`Task::load`], but NULL is None.
    pub fn load_opt<T: Layout>(&self, addr: u64) -> Result<Option<T>, Errno> {
        if addr == 0 {
            Ok(None)
        } else {
            self.load(addr).map(Some)
        }
    }

    /// Reads `n` consecutive structures at `addr` (an iovec or pollfd array).
    pub fn load_array<T: Layout>(&self, addr: u64, n: u64) -> Result<Vec<T>, Errno> {
        let size = T::SIZE as u64;
        let bytes = self.get(addr, n.checked_mul(size).ok_or(Errno::EFAULT)?)?;
        Ok(bytes.chunks_exact(T::SIZE).map(T::read).collect())
    }

    /// Writes `v` at `addr`, its padding zero (EFAULT where any of it is unwritable).
    pub fn store<T: Layout>(&self, addr: u64, v: &T) -> Result<(), Errno> {
        self.put(addr, &v.to_bytes())
    }
}
