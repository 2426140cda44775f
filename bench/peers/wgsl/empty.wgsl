// An empty kernel: one invocation that does nothing. Its dispatch measures the fixed cost of a dispatch.

@compute @workgroup_size(1)
fn main() {}
