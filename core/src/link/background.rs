//! The background worker: one thread per process that runs the deferred
//! passes of links (work no JIT'd code needs before it runs: the debug
//! object and its registration while no debugger is attached, the crash
//! report's tables), so a link returns as soon as the code can run.
//!
//! The worker starts with the first job, [`HEAD_START`] later (a program
//! that ends sooner never pays for it), at the program's priority (a crash
//! report may wait for it). Jobs run one at a time, in the order they
//! were submitted; [`IDLE_EXIT`] after the last one the thread ends, so a
//! debugger attaching later finds the program's threads only. Links made
//! while a tracer (gdb, lldb-server) is attached run their deferred passes at
//! once instead ([`traced`]), so breakpoints bind before the code runs.
//!
//! [`wait_idle`] waits for the jobs submitted so far (embedders, tools, the
//! debugger's arrival); [`wait_idle_in_signal_handler`] does the same from a
//! crash handler with only async-signal-safe calls, and gives up when the
//! worker is blocked, which it is when the crashed thread held a lock it
//! needs (the allocator's, say).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// A job for the worker.
pub type Job = Box<dyn FnOnce() + Send>;

/// The debug information (NoAlloc bytes) from which a unit's deferred passes
/// go to the worker: below it they cost a millisecond or two, less than
/// what a thread costs the program. A process that has had a second thread
/// stays multi-threaded for glibc (its cancellable system calls and stdio
/// locking take other paths), which a debugger attached later shows: small
/// programs keep the native program's single thread.
pub const WORTH_IT: u64 = 512 * 1024;

/// How long the worker waits, once started, before its first job.
pub const HEAD_START: Duration = Duration::from_millis(25);

/// How long a reading of whether a tracer is attached holds.
pub const TRACER_POLL: Duration = Duration::from_millis(100);

/// How long the worker stays without work before its thread ends (the next
/// job starts another).
pub const IDLE_EXIT: Duration = Duration::from_millis(200);

struct Queue {
    jobs: VecDeque<Job>,
    started: bool,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    jobs: VecDeque::new(),
    started: false,
});
/// Signalled when a job is queued (the worker waits on it) and when the
/// worker becomes idle (waiters of [`wait_idle`]).
static CHANGED: Condvar = Condvar::new();
/// Jobs queued or running.
static PENDING: AtomicUsize = AtomicUsize::new(0);
/// The worker's thread id, 0 until it runs.
static WORKER_TID: AtomicI32 = AtomicI32::new(0);
/// Whether a tracer is attached, as read at `TRACED_AT` (monotonic
/// nanoseconds; 0: never read).
static TRACED: AtomicBool = AtomicBool::new(false);
static TRACED_AT: AtomicU64 = AtomicU64::new(0);

fn lock() -> MutexGuard<'static, Queue> {
    QUEUE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Queues `job` for the worker, starting the worker on first use.
pub fn submit(job: Job) {
    PENDING.fetch_add(1, Ordering::SeqCst);
    let mut queue = lock();
    queue.jobs.push_back(job);
    if !queue.started {
        queue.started = true;
        let spawned = std::thread::Builder::new()
            .name("lantern-background".into())
            .spawn(run);
        if let Err(e) = spawned {
            // No thread: run the jobs here, now.
            queue.started = false;
            let jobs: Vec<Job> = queue.jobs.drain(..).collect();
            drop(queue);
            log::warn!("no background thread ({e}): running deferred link work now");
            for job in jobs {
                job();
                PENDING.fetch_sub(1, Ordering::SeqCst);
            }
            CHANGED.notify_all();
            return;
        }
    }
    drop(queue);
    CHANGED.notify_all();
}

/// Whether the caller runs on the worker (in a deferred pass).
pub fn on_worker() -> bool {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    tid == WORKER_TID.load(Ordering::SeqCst)
}

/// Jobs queued or running now.
pub fn pending() -> usize {
    PENDING.load(Ordering::SeqCst)
}

/// Waits until every job submitted so far has run, or `timeout` passes;
/// true when idle.
pub fn wait_idle(timeout: Option<Duration>) -> bool {
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut queue = lock();
    while pending() > 0 {
        let wait = match deadline {
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) => left,
                None => return false,
            },
            None => IDLE_EXIT,
        };
        queue = CHANGED
            .wait_timeout(queue, wait)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    true
}

/// [`wait_idle`] for a signal handler: polls with `nanosleep` for at most
/// `max`, and stops early when the worker has been blocked for a second with
/// jobs pending: asleep at every look (`/proc/self/task/TID/stat` says `S`)
/// and not a clock tick of CPU time more (on a loaded machine a working
/// thread can look asleep for a while; one that is blocked on a lock the
/// crashed thread holds gets no CPU time at all). Allocates nothing and
/// takes no lock. True when idle.
pub fn wait_idle_in_signal_handler(max: Duration) -> bool {
    // SAFETY: gettid has no preconditions.
    if unsafe { libc::gettid() } == WORKER_TID.load(Ordering::SeqCst) {
        // The worker itself crashed: nothing more will run.
        return pending() == 0;
    }
    const STEP: Duration = Duration::from_millis(2);
    const BLOCKED: u64 = Duration::from_secs(1).as_nanos() as u64;
    let start = monotonic_ns();
    // Since when the worker has looked blocked, and its CPU time then.
    let mut blocked_since: Option<(u64, u64)> = None;
    while pending() > 0 {
        let now = monotonic_ns();
        if now.saturating_sub(start) >= max.as_nanos() as u64 {
            return false;
        }
        match (worker_state(), blocked_since) {
            (Some((true, cpu)), Some((since, at_cpu))) if cpu == at_cpu => {
                if now.saturating_sub(since) >= BLOCKED {
                    return false;
                }
            }
            (Some((true, cpu)), _) => blocked_since = Some((now, cpu)),
            _ => blocked_since = None,
        }
        let step = libc::timespec {
            tv_sec: 0,
            tv_nsec: STEP.as_nanos() as libc::c_long,
        };
        // SAFETY: nanosleep reads the timespec and writes nothing (null remainder).
        unsafe { libc::nanosleep(&step, std::ptr::null_mut()) };
    }
    true
}

/// Whether the worker thread is in interruptible sleep (waiting on a lock or
/// for work), and its CPU time in clock ticks (user + system), read from
/// `/proc/self/task/TID/stat` without allocating.
fn worker_state() -> Option<(bool, u64)> {
    let tid = WORKER_TID.load(Ordering::SeqCst);
    if tid <= 0 {
        return None;
    }
    // "/proc/self/task/TID/stat\0", formatted without allocating.
    let mut path = [0u8; 48];
    let prefix = b"/proc/self/task/";
    path[..prefix.len()].copy_from_slice(prefix);
    let mut len = prefix.len();
    let mut digits = [0u8; 10];
    let mut count = 0;
    let mut n = tid as u32;
    while count == 0 || n > 0 {
        digits[count] = b'0' + (n % 10) as u8;
        count += 1;
        n /= 10;
    }
    for &digit in digits[..count].iter().rev() {
        path[len] = digit;
        len += 1;
    }
    let suffix = b"/stat\0";
    path[len..len + suffix.len()].copy_from_slice(suffix);
    // SAFETY: `path` is NUL-terminated; open, read and close are async-signal-safe.
    let fd = unsafe { libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    let mut buf = [0u8; 512];
    // SAFETY: reading at most `buf.len()` bytes into `buf`.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(fd) };
    if n <= 0 {
        return None;
    }
    parse_stat(&buf[..n as usize])
}

/// The state and CPU ticks of a `/proc/.../stat` line: `pid (comm) S ...`,
/// the state after the last ')', then `utime` and `stime` as the 12th and
/// 13th fields after it.
fn parse_stat(stat: &[u8]) -> Option<(bool, u64)> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    let mut fields = stat.get(close + 2..)?.split(|&b| b == b' ');
    let sleeping = fields.next()? == b"S";
    let mut ticks = 0u64;
    for field in fields.skip(10).take(2) {
        let mut value = 0u64;
        for &digit in field {
            if !digit.is_ascii_digit() {
                return None;
            }
            value = value
                .saturating_mul(10)
                .saturating_add(u64::from(digit - b'0'));
        }
        ticks = ticks.saturating_add(value);
    }
    Some((sleeping, ticks))
}

/// Whether a tracer (a debugger) is attached to the process: read from
/// `/proc/self/status` at most once every [`TRACER_POLL`] (a runtime that
/// links all the time pays one read per interval, not one per link).
pub fn traced() -> bool {
    let now = monotonic_ns();
    let at = TRACED_AT.load(Ordering::SeqCst);
    if at != 0 && now.saturating_sub(at) < TRACER_POLL.as_nanos() as u64 {
        return TRACED.load(Ordering::SeqCst);
    }
    let traced = read_tracer();
    TRACED.store(traced, Ordering::SeqCst);
    TRACED_AT.store(now.max(1), Ordering::SeqCst);
    traced
}

fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    (now.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(now.tv_nsec as u64)
}

/// `TracerPid` of `/proc/self/status` is not 0.
pub fn read_tracer() -> bool {
    static WARNED: OnceLock<()> = OnceLock::new();
    match process_traced("self") {
        Ok(traced) => traced,
        Err(e) => {
            WARNED.get_or_init(|| log::warn!("/proc/self/status: {e}: assuming no debugger"));
            false
        }
    }
}

/// Whether `TracerPid` of `/proc/PROCESS/status` is not 0 (`PROCESS`: a pid,
/// or `self`).
pub fn process_traced(process: &str) -> std::io::Result<bool> {
    // Asked before each run and each large link: one read into a buffer
    // that holds the line (procfs gives no size, so `read_to_string` took
    // eight reads of a growing buffer).
    let mut file = std::fs::File::open(format!("/proc/{process}/status"))?;
    let mut buf = [0u8; 4096];
    let mut len = 0;
    const KEY: &[u8] = b"\nTracerPid:";
    loop {
        let text = &buf[..len];
        if let Some(at) = text.windows(KEY.len()).position(|w| w == KEY) {
            let value = &text[at + KEY.len()..];
            if let Some(end) = value.iter().position(|&b| b == b'\n') {
                return Ok(value[..end].trim_ascii() != b"0");
            }
        }
        if len == buf.len() {
            return Ok(false);
        }
        match std::io::Read::read(&mut file, &mut buf[len..])? {
            0 => return Ok(false),
            n => len += n,
        }
    }
}

fn run() {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    WORKER_TID.store(tid, Ordering::SeqCst);
    // The worker runs at the program's priority. A lower one (it was nice
    // 10) starved it exactly when a crash report waits for it on a busy
    // machine, and an unprivileged process cannot raise it back.
    // A head start for the program: one that ends sooner never pays for the
    // worker's memory and page faults (its exit frees them too).
    std::thread::sleep(HEAD_START);
    loop {
        let job = {
            let mut queue = lock();
            let mut idle_since = Instant::now();
            loop {
                if let Some(job) = queue.jobs.pop_front() {
                    break job;
                }
                if idle_since.elapsed() >= IDLE_EXIT {
                    // Gone while idle: a debugger that attaches later finds
                    // the program's own threads only, as natively.
                    queue.started = false;
                    WORKER_TID.store(0, Ordering::SeqCst);
                    return;
                }
                let (guard, timeout) = CHANGED
                    .wait_timeout(queue, IDLE_EXIT)
                    .unwrap_or_else(|e| e.into_inner());
                queue = guard;
                if !timeout.timed_out() {
                    idle_since = Instant::now();
                }
            }
        };
        job();
        PENDING.fetch_sub(1, Ordering::SeqCst);
        // Idle waiters re-check; taking the lock orders this after their check.
        drop(lock());
        CHANGED.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    #[test]
    fn a_stat_line_gives_the_state_and_cpu_ticks() {
        let line = b"4242 (lantern (bg) x) S 1 2 3 0 -1 4194368 10 0 0 0 17 5 0 0 30 10 1 0";
        assert_eq!(parse_stat(line), Some((true, 22)));
        let line = b"4242 (w) R 1 2 3 0 -1 4194368 10 0 0 0 7 0 0 0 30 10 1 0\n";
        assert_eq!(parse_stat(line), Some((false, 7)));
        assert_eq!(parse_stat(b"garbage"), None);
        // The live worker's own line parses too.
        let own = std::fs::read("/proc/thread-self/stat").unwrap();
        assert!(parse_stat(&own).is_some());
    }

    #[test]
    fn a_traced_process_is_told_from_an_untraced_one() {
        use std::os::unix::process::CommandExt;
        let mut plain = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let mut traced = std::process::Command::new("sleep");
        traced.arg("5");
        // SAFETY: the child asks to be traced by us (its parent) before exec;
        // ptrace is async-signal-safe.
        unsafe {
            traced.pre_exec(|| {
                libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0);
                Ok(())
            });
        }
        let mut traced = traced.spawn().unwrap();
        let (p, t) = (plain.id().to_string(), traced.id().to_string());
        assert!(!process_traced(&p).unwrap());
        assert!(process_traced(&t).unwrap());
        for child in [&mut plain, &mut traced] {
            let _ = child.kill();
            let _ = child.wait();
        }
        assert!(process_traced("4194304999").is_err(), "no such process");
    }

    #[test]
    fn jobs_run_in_order_and_wait_idle_sees_them_done() {
        let order = Arc::new(Mutex::new(Vec::new()));
        for i in 0..5 {
            let order = order.clone();
            submit(Box::new(move || {
                std::thread::sleep(Duration::from_millis(5));
                order.lock().unwrap().push(i);
            }));
        }
        assert!(wait_idle(Some(Duration::from_secs(10))));
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn the_signal_handler_wait_gives_up_on_a_blocked_worker() {
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        {
            let (gate, ran) = (gate.clone(), ran.clone());
            submit(Box::new(move || {
                let _g = gate.lock().unwrap();
                ran.store(true, Ordering::SeqCst);
            }));
        }
        let start = Instant::now();
        assert!(!wait_idle_in_signal_handler(Duration::from_secs(20)));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "gave up after {:?}",
            start.elapsed()
        );
        drop(held);
        assert!(wait_idle(Some(Duration::from_secs(10))));
        assert!(ran.load(Ordering::SeqCst));
        assert!(wait_idle_in_signal_handler(Duration::from_secs(1)));
    }
}
