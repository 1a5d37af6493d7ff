//! LEMON's network simplex (through the `mcmf` crate's C++ build of LEMON 1.3), called on the
//! same min-cost-flow network our solver builds: needs → resources (cost −value), needs → T
//! (unserved, cost 0), resources → T (capacity). The flat arrays are built before timing.

#![allow(unsafe_code)]

use duijie::solve::Network;

// The `mcmf` crate compiles this C++ entry point (bindings.cpp) into its static library; it
// builds a LEMON SmartDigraph from flat arrays and runs NetworkSimplex with default settings.
extern "C" {
    fn network_simplex_mcmf_i64(
        num_vertices: i64,
        num_edges: i64,
        node_supply: *const i64,
        edge_a: *const i64,
        edge_b: *const i64,
        edge_capacity: *const i64,
        edge_cost: *const i64,
        edge_flow_result: *mut i64,
    ) -> i64;
}

/// The network in LEMON's flat form.
pub struct LemonNetwork {
    nodes: i64,
    supply: Vec<i64>,
    from: Vec<i64>,
    to: Vec<i64>,
    capacity: Vec<i64>,
    cost: Vec<i64>,
}

impl LemonNetwork {
    /// The same min-cost-flow network as ours.
    pub fn new(net: &Network) -> LemonNetwork {
        // Keep the `mcmf` crate linked: its static library holds the entry point.
        let _ = mcmf::Cost(0);
        let (n, m) = (net.supply.len(), net.capacity.len());
        let t = (n + m) as i64;
        let total: i64 = net.supply.iter().sum();
        let mut l = LemonNetwork {
            nodes: t + 1,
            supply: net
                .supply
                .iter()
                .copied()
                .chain(std::iter::repeat(0).take(m))
                .collect(),
            from: Vec::new(),
            to: Vec::new(),
            capacity: Vec::new(),
            cost: Vec::new(),
        };
        l.supply.push(-total);
        for i in 0..n {
            for a in net.out(i) {
                l.arc(
                    i as i64,
                    (n + net.head[a] as usize) as i64,
                    total,
                    -net.value[a],
                );
            }
        }
        for i in 0..n {
            l.arc(i as i64, t, total, 0);
        }
        for (j, &c) in net.capacity.iter().enumerate() {
            l.arc((n + j) as i64, t, c, 0);
        }
        l
    }

    fn arc(&mut self, a: i64, b: i64, cap: i64, cost: i64) {
        self.from.push(a);
        self.to.push(b);
        self.capacity.push(cap);
        self.cost.push(cost);
    }

    /// Solves with LEMON and returns our objective (the negated min cost).
    pub fn solve(&self) -> i64 {
        let mut flow = vec![0i64; self.from.len()];
        // SAFETY: every pointer refers to a live vector of `num_edges` (or `num_vertices`)
        // elements, node indices are below `num_vertices`, and the callee only reads the
        // inputs and writes `num_edges` flows.
        let cost = unsafe {
            network_simplex_mcmf_i64(
                self.nodes,
                self.from.len() as i64,
                self.supply.as_ptr(),
                self.from.as_ptr(),
                self.to.as_ptr(),
                self.capacity.as_ptr(),
                self.cost.as_ptr(),
                flow.as_mut_ptr(),
            )
        };
        -cost
    }
}
