;; The worked example of docs/wasm-abi.md: the root task prints a line, checks where the
;; loader put BootInfo and the IPC buffer, lowers its own priority with a TCB invocation
;; (a seL4_Call carrying one MR and one extra cap through the IPC buffer) and halts.
;; Expected output: user/examples/hello.out
(module
  (import "sel4" "seL4_DebugPutChar" (func $put_char (param i32)))
  (import "sel4" "seL4_Call" (func $call (param i64 i64) (result i64)))
  (import "sel4" "seL4_GetBootInfo" (func $boot_info (result i32)))
  (import "sel4" "seL4_GetIPCBuffer" (func $ipc_buffer (result i32)))
  (import "sel4" "seL4_DebugHalt" (func $halt))

  ;; One page of memory: the loader adds a second, with BootInfo at 65536 and the IPC
  ;; buffer at 65536 + 4096.
  (memory (export "memory") 1)
  ;; wasm global 0 is the stack pointer, as LLVM emits it (unused here).
  (global $__stack_pointer (mut i32) (i32.const 65536))

  (data (i32.const 1024) "hello from seLVM\n")      ;; 17 bytes at 1024
  (data (i32.const 1056) "bootinfo ok\n")           ;; 12 bytes at 1056
  (data (i32.const 1088) "priority set\n")          ;; 13 bytes at 1088
  (data (i32.const 1120) "unexpected\n")            ;; 11 bytes at 1120

  ;; Prints $len bytes starting at $addr.
  (func $print (param $addr i32) (param $len i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $len)))
        (call $put_char (i32.load8_u (local.get $addr)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next))))

  (func (export "_start")
    (local $bi i32)
    (local $ipc i32)
    (local $info i64)
    (call $print (i32.const 1024) (i32.const 17))

    ;; BootInfo sits at the old end of memory, the IPC buffer 4 KiB above it, and
    ;; BootInfo.ipcBuffer (byte 32) and initThreadCNodeSizeBits (byte 136, radix 12) agree.
    (local.set $bi (call $boot_info))
    (local.set $ipc (call $ipc_buffer))
    (if (i32.and
          (i32.and (i32.eq (local.get $bi) (i32.const 65536))
                   (i32.eq (local.get $ipc) (i32.add (local.get $bi) (i32.const 4096))))
          (i32.and (i64.eq (i64.load offset=32 (local.get $bi))
                           (i64.extend_i32_u (local.get $ipc)))
                   (i64.eq (i64.load offset=136 (local.get $bi)) (i64.const 12))))
      (then (call $print (i32.const 1056) (i32.const 12)))
      (else (call $print (i32.const 1120) (i32.const 11))))

    ;; seL4_TCB_SetPriority(own TCB = slot 1, authority = slot 1, priority 254):
    ;; label 6, one extra cap (caps_or_badges[0] at byte 976), one MR (msg[0] at byte 8).
    (i64.store offset=976 (local.get $ipc) (i64.const 1))
    (i64.store offset=8 (local.get $ipc) (i64.const 254))
    ;; MessageInfo: label 6 << 12 | extraCaps 1 << 7 | length 1.
    (local.set $info (call $call (i64.const 1) (i64.const 0x6081)))
    ;; The reply's label (info >> 12) is the error code: 0 means success.
    (if (i64.eqz (i64.shr_u (local.get $info) (i64.const 12)))
      (then (call $print (i32.const 1088) (i32.const 13)))
      (else (call $print (i32.const 1120) (i32.const 11))))

    (call $halt)))
