//! Running JIT'd code: run-as-main, void and int functions, as jobs for the main thread.

use super::*;

impl Session {
    /// A function the controller may run: finalized executable JIT memory,
    /// or an address a lookup returned.
    pub(super) fn check_function(&self, addr: u64, what: &str) -> Result<(), Fatal> {
        if self.looked_up.contains(&addr) {
            return Ok(());
        }
        self.memory
            .check(addr, 1, Access::Exec)
            .map_err(|e| format!("{what}: {e}"))
    }

    pub(super) fn run_as_main(&mut self, args: &[u8]) -> Result<Job, Fatal> {
        let (main, argv): RunAsMainArgs = decode(args, "run as main")?;
        self.check_function(main, "run as main")?;
        Ok(Box::new(move || {
            let strings: Vec<CString> = argv
                .into_iter()
                .map(|a| {
                    let bytes: Vec<u8> =
                        a.into_bytes().into_iter().take_while(|&b| b != 0).collect();
                    CString::new(bytes).unwrap_or_default()
                })
                .collect();
            let mut ptrs: Vec<*mut libc::c_char> =
                strings.iter().map(|s| s.as_ptr() as *mut _).collect();
            ptrs.push(std::ptr::null_mut());
            // SAFETY: `main` is JIT'd (or looked-up) code the controller
            // runs as `int main(int, char **)`; argv is NUL-terminated
            // strings ending in a null pointer, alive for the call.
            let status = unsafe {
                let f = std::mem::transmute::<
                    usize,
                    extern "C" fn(libc::c_int, *mut *mut libc::c_char) -> libc::c_int,
                >(main as usize);
                f(strings.len() as libc::c_int, ptrs.as_mut_ptr())
            };
            to_bytes(&(status as i64))
        }))
    }

    pub(super) fn run_as_void_function(&mut self, args: &[u8]) -> Result<Job, Fatal> {
        let f: u64 = decode(args, "run as void function")?;
        self.check_function(f, "run as void function")?;
        Ok(Box::new(move || {
            // SAFETY: JIT'd code run as `void f(void)`, as the controller asks.
            unsafe { std::mem::transmute::<usize, extern "C" fn()>(f as usize)() };
            to_bytes(&0i32)
        }))
    }

    pub(super) fn run_as_int_function(&mut self, args: &[u8]) -> Result<Job, Fatal> {
        let (f, arg): (u64, i32) = decode(args, "run as int function")?;
        self.check_function(f, "run as int function")?;
        Ok(Box::new(move || {
            // SAFETY: JIT'd code run as `int f(int)`, as the controller asks.
            let r = unsafe {
                std::mem::transmute::<usize, extern "C" fn(libc::c_int) -> libc::c_int>(f as usize)(
                    arg,
                )
            };
            to_bytes(&r)
        }))
    }
}
