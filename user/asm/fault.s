; Loads from an address no frame backs: a VMFault with no fault handler.
.memory 1 1
.entry main
.func main () -> () frame 2
    i64.const r0, 0x100000
    load64 r1, r0, 8
    return r0, 0
.end
