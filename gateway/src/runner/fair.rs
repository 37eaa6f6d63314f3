//! A fair queue across users, weighted by cost (virtual-time fair queuing).
//!
//! Each user has a virtual clock. A job's virtual start is
//! `max(V, the user's last finish)` and its finish is `start + cost / weight`;
//! jobs leave in order of finish (ties: arrival). `V` is the start of the job
//! last dispatched. So a user with ten queued jobs has their finishes spread
//! over ten costs, and a newcomer's first job lands right after the job in
//! service: one user cannot starve others, expensive jobs count for more,
//! and a higher weight (plan priority) buys a proportionally larger share.
//! An idle user does not bank credit: their start catches up to `V`.

use std::collections::{BTreeMap, HashMap};

use easel_shared::{RequestId, UserKey};

/// Virtual time units per credit, so small weights divide without losing order.
const SCALE: u64 = 1 << 20;

/// Where a job sits: (virtual finish, arrival number).
type Slot = (u64, u64);

/// Jobs of many users, leaving fairly. `T` is the caller's payload.
pub struct FairQueue<T> {
    /// Virtual time: the start tag of the last dispatched job.
    now: u64,
    /// Arrival counter, the tie-breaker.
    seq: u64,
    order: BTreeMap<Slot, Entry<T>>,
    slots: HashMap<RequestId, Slot>,
    users: HashMap<UserKey, UserState>,
}

struct Entry<T> {
    id: RequestId,
    user: UserKey,
    start: u64,
    item: T,
}

#[derive(Default)]
struct UserState {
    /// Virtual finish of the user's latest queued job.
    last_finish: u64,
    /// Jobs of the user in the queue.
    queued: u32,
}

impl<T> Default for FairQueue<T> {
    fn default() -> Self {
        Self {
            now: 0,
            seq: 0,
            order: BTreeMap::new(),
            slots: HashMap::new(),
            users: HashMap::new(),
        }
    }
}

impl<T> FairQueue<T> {
    /// Queues `item`. `cost` is in credits (>= 1 is assumed; 0 counts as 1),
    /// `weight` >= 1 (0 counts as 1). Returns the item back if `id` is queued already.
    pub fn push(
        &mut self,
        id: RequestId,
        user: UserKey,
        cost: u32,
        weight: u32,
        item: T,
    ) -> Result<(), T> {
        if self.slots.contains_key(&id) {
            return Err(item);
        }
        let state = self.users.entry(user).or_default();
        let start = self.now.max(state.last_finish);
        let step = u64::from(cost.max(1)) * SCALE / u64::from(weight.max(1));
        let finish = start.saturating_add(step.max(1));
        state.last_finish = finish;
        state.queued += 1;
        let slot = (finish, self.seq);
        self.seq += 1;
        self.slots.insert(id.clone(), slot);
        self.order.insert(
            slot,
            Entry {
                id,
                user,
                start,
                item,
            },
        );
        Ok(())
    }

    /// The job that would leave next.
    pub fn peek(&self) -> Option<&T> {
        self.order.values().next().map(|e| &e.item)
    }

    /// Takes the next job out, advancing virtual time to its start.
    pub fn pop(&mut self) -> Option<(RequestId, UserKey, T)> {
        let (_, entry) = self.order.pop_first()?;
        self.slots.remove(&entry.id);
        self.now = self.now.max(entry.start);
        self.forget(entry.user);
        // Users with nothing queued whose last finish virtual time has
        // passed owe nothing and need no state. (A user whose job is in
        // service is kept: their next job must queue behind it.)
        let now = self.now;
        self.users
            .retain(|_, s| s.queued > 0 || s.last_finish > now);
        Some((entry.id, entry.user, entry.item))
    }

    /// Takes a job out of the queue wherever it is (a cancel). If it was the
    /// user's latest job, the user gets its virtual time back.
    pub fn remove(&mut self, id: &RequestId) -> Option<(UserKey, T)> {
        let slot = self.slots.remove(id)?;
        let entry = self.order.remove(&slot)?;
        if let Some(state) = self.users.get_mut(&entry.user)
            && state.last_finish == slot.0
        {
            state.last_finish = entry.start;
        }
        self.forget(entry.user);
        Some((entry.user, entry.item))
    }

    /// The owner of a queued job.
    pub fn owner(&self, id: &RequestId) -> Option<UserKey> {
        let slot = self.slots.get(id)?;
        self.order.get(slot).map(|e| e.user)
    }

    /// Jobs `user` has waiting.
    pub fn queued_by(&self, user: UserKey) -> u32 {
        self.users.get(&user).map_or(0, |s| s.queued)
    }

    /// Jobs waiting.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Visits every waiting job in leaving order with its position (0 = next).
    pub fn for_each_ranked(&mut self, mut f: impl FnMut(u32, &UserKey, &mut T)) {
        for (pos, entry) in self.order.values_mut().enumerate() {
            f(
                u32::try_from(pos).unwrap_or(u32::MAX),
                &entry.user,
                &mut entry.item,
            );
        }
    }

    /// Every waiting job's id and owner.
    pub fn ids(&self) -> impl Iterator<Item = (&RequestId, UserKey)> {
        self.order.values().map(|e| (&e.id, e.user))
    }

    fn forget(&mut self, user: UserKey) {
        if let Some(state) = self.users.get_mut(&user) {
            state.queued = state.queued.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> RequestId {
        RequestId::new(s).unwrap()
    }

    fn drain(q: &mut FairQueue<&'static str>) -> Vec<&'static str> {
        std::iter::from_fn(|| q.pop().map(|(_, _, t)| t)).collect()
    }

    #[test]
    fn a_newcomer_is_served_before_a_heavy_users_backlog() {
        let (a, b) = (UserKey::telegram(1), UserKey::telegram(2));
        let mut q = FairQueue::default();
        for (i, name) in ["a1", "a2", "a3", "a4"].into_iter().enumerate() {
            q.push(id(&format!("a{i}")), a, 1, 1, name).unwrap();
        }
        assert_eq!(q.pop().map(|(_, _, t)| t), Some("a1"));
        q.push(id("b"), b, 1, 1, "b1").unwrap();
        assert_eq!(drain(&mut q), ["b1", "a2", "a3", "a4"]);
    }

    #[test]
    fn a_job_in_service_still_counts_when_the_queue_empties() {
        let (a, b) = (UserKey::telegram(1), UserKey::telegram(2));
        let mut q = FairQueue::default();
        q.push(id("a1"), a, 1, 1, "a1").unwrap();
        assert_eq!(q.pop().map(|(_, _, t)| t), Some("a1"));
        q.push(id("a2"), a, 1, 1, "a2").unwrap();
        q.push(id("b1"), b, 1, 1, "b1").unwrap();
        assert_eq!(drain(&mut q), ["b1", "a2"]);
    }

    #[test]
    fn users_alternate_and_cost_counts() {
        let (a, b) = (UserKey::telegram(1), UserKey::telegram(2));
        let mut q = FairQueue::default();
        // A asks for expensive jobs (4 credits), B for cheap ones (1 credit).
        for i in 0..2 {
            q.push(id(&format!("a{i}")), a, 4, 1, "a").unwrap();
        }
        for i in 0..6 {
            q.push(id(&format!("b{i}")), b, 1, 1, "b").unwrap();
        }
        // B's cheap jobs fill the time A's first expensive one is worth.
        assert_eq!(drain(&mut q), ["b", "b", "b", "a", "b", "b", "b", "a"]);
    }

    #[test]
    fn weight_buys_a_larger_share() {
        let (a, b) = (UserKey::telegram(1), UserKey::telegram(2));
        let mut q = FairQueue::default();
        for i in 0..4 {
            q.push(id(&format!("a{i}")), a, 1, 2, "pro").unwrap();
            q.push(id(&format!("b{i}")), b, 1, 1, "free").unwrap();
        }
        let order = drain(&mut q);
        // Twice the weight: all four "pro" jobs leave within the first six.
        assert_eq!(order[..6].iter().filter(|t| **t == "pro").count(), 4);
    }

    #[test]
    fn remove_gives_virtual_time_back_and_ranks_follow() {
        let (a, b) = (UserKey::telegram(1), UserKey::telegram(2));
        let mut q = FairQueue::default();
        q.push(id("a1"), a, 1, 1, "a1").unwrap();
        q.push(id("a2"), a, 1, 1, "a2").unwrap();
        assert!(q.push(id("a2"), a, 1, 1, "dup").is_err());
        assert_eq!(q.remove(&id("a2")).map(|(_, t)| t), Some("a2"));
        assert_eq!(q.remove(&id("a2")), None);
        assert_eq!(q.queued_by(a), 1);
        q.push(id("b1"), b, 1, 1, "b1").unwrap();
        q.push(id("a3"), a, 1, 1, "a3").unwrap();
        let mut ranks = Vec::new();
        q.for_each_ranked(|pos, _, t| ranks.push((pos, *t)));
        assert_eq!(ranks, [(0, "a1"), (1, "b1"), (2, "a3")]);
        assert_eq!(q.owner(&id("b1")), Some(b));
    }
}
