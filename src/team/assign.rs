//! Feasibility-checked sequential assignment (SPEC.md §5.5–§5.8).
//!
//! The places of every drawn team (officer places, one place per department of a joint
//! inspection, expert places) and every person's workload cap form one flow network:
//!
//! ```text
//! S ──cap c_o──▶ person o ──1──▶ [pair (o,v)] ──1──▶ place node of visit v ──▶ T
//! ```
//!
//! with, per visit v, a node `V_v` (officer places not tied to a department, capacity
//! `s_v − |D_v|` to T), one node per participating department `(v,d)` (capacity 1 to T and
//! unbounded to `V_v`, so a department's officer can also fill a free place), and an expert node
//! `X_v` (capacity `x_v` to T). A pair node exists only for a person who may take either an
//! officer or an expert place at `v`; it keeps them to one place per team. A lawful assignment
//! of every team exists exactly when the maximum flow saturates every edge into T.
//!
//! [`Assigner`] keeps one such saturating flow and answers, for a candidate (person, visit,
//! role), whether *some* lawful assignment uses it together with everything accepted so far.
//! Only that yes/no answer is used by the draw, so the result does not depend on the max-flow
//! algorithm: a different algorithm that answers the same question gives the same draw.

use std::collections::BTreeMap;
use std::fmt;

/// The role a person takes in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A certified officer place.
    Officer,
    /// An expert place.
    Expert,
}

/// One visit: a team made of one place group per task that drew the enterprise (one group
/// unless tasks were merged). A person takes at most one place in a visit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitSpec {
    /// The groups, in task order.
    pub groups: Vec<GroupSpec>,
}

/// The places one task needs in a visit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupSpec {
    /// Officer places (team size).
    pub officers: u32,
    /// Participating departments (joint inspection): at least one officer of each. Empty for an
    /// ordinary task. Its length never exceeds `officers`.
    pub departments: Vec<String>,
    /// Expert places.
    pub experts: u32,
    /// People who may take an officer place, with the index of their department in
    /// `departments` (`None` when there are no departments).
    pub officer_candidates: Vec<(usize, Option<usize>)>,
    /// People who may take an expert place.
    pub expert_candidates: Vec<usize>,
}

/// The whole staffing problem: people with caps, and teams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problem {
    /// Workload cap of each person (places over the whole plan, officer and expert alike).
    pub caps: Vec<u32>,
    /// The teams, in processing order.
    pub visits: Vec<VisitSpec>,
}

/// A set of places named in a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceGroup {
    /// Index of the visit.
    pub visit: usize,
    /// Index of the group in the visit.
    pub group: usize,
    /// What the places are.
    pub kind: PlaceKind,
    /// How many places.
    pub count: u32,
}

/// Kinds of places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceKind {
    /// The one place reserved for this department (index into the visit's departments).
    Department(usize),
    /// Officer places not reserved for a department.
    Officer,
    /// Expert places.
    Expert,
}

/// One person's supply to a set of places in a Hall certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supply {
    /// Person index.
    pub person: usize,
    /// Their cap.
    pub cap: u32,
    /// How many of the certificate's visits they may fill a place of (one place per visit).
    pub visits: u32,
}

/// Hall's condition violated: the places need more than the people who may fill them can give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HallCertificate {
    /// The places (their total is the demand).
    pub places: Vec<PlaceGroup>,
    /// Every person eligible for at least one of the places, with cap and visit count; each can
    /// supply `min(cap, visits)`.
    pub supply: Vec<Supply>,
}

impl HallCertificate {
    /// Total places.
    pub fn demand(&self) -> u64 {
        self.places.iter().map(|p| u64::from(p.count)).sum()
    }

    /// Total supply: Σ min(cap, visits).
    pub fn supply_total(&self) -> u64 {
        self.supply
            .iter()
            .map(|s| u64::from(s.cap.min(s.visits)))
            .sum()
    }

    /// Re-checks the certificate against a problem: every person who may fill any of the places
    /// is listed with the right cap and visit count, and demand exceeds supply.
    #[cfg(test)]
    pub fn check(&self, p: &Problem) -> bool {
        let mut visits_of: BTreeMap<usize, std::collections::BTreeSet<usize>> = BTreeMap::new();
        for g in &self.places {
            let Some(v) = p.visits.get(g.visit).and_then(|v| v.groups.get(g.group)) else {
                return false;
            };
            let expected = match g.kind {
                PlaceKind::Department(_) => 1,
                PlaceKind::Officer => v.officers - v.departments.len() as u32,
                PlaceKind::Expert => v.experts,
            };
            if g.count != expected {
                return false;
            }
            match g.kind {
                PlaceKind::Department(d) => {
                    for &(o, dd) in &v.officer_candidates {
                        if dd == Some(d) {
                            visits_of.entry(o).or_default().insert(g.visit);
                        }
                    }
                }
                PlaceKind::Officer => {
                    for &(o, _) in &v.officer_candidates {
                        visits_of.entry(o).or_default().insert(g.visit);
                    }
                }
                PlaceKind::Expert => {
                    for &o in &v.expert_candidates {
                        visits_of.entry(o).or_default().insert(g.visit);
                    }
                }
            }
        }
        let listed: BTreeMap<usize, &Supply> = self.supply.iter().map(|s| (s.person, s)).collect();
        if listed.len() != visits_of.len() {
            return false;
        }
        for (o, vs) in &visits_of {
            match listed.get(o) {
                Some(s) if s.cap == p.caps[*o] && s.visits as usize == vs.len() => {}
                _ => return false,
            }
        }
        self.demand() > self.supply_total()
    }
}

const INF: i32 = i32::MAX / 4;

/// A count as a capacity (counts beyond `INF` cannot bind anyway).
fn clamp(n: u32) -> i32 {
    n.min(INF as u32) as i32
}

/// A flow network with arcs in pairs (forward even, reverse odd).
#[derive(Debug, Clone)]
struct Net {
    head: Vec<u32>,
    cap: Vec<i32>,
    flow: Vec<i32>,
    fixed: Vec<bool>,
    adj: Vec<Vec<u32>>,
}

impl Net {
    fn new(n: usize) -> Self {
        Net {
            head: Vec::new(),
            cap: Vec::new(),
            flow: Vec::new(),
            fixed: Vec::new(),
            adj: vec![Vec::new(); n],
        }
    }

    fn node(&mut self) -> usize {
        self.adj.push(Vec::new());
        self.adj.len() - 1
    }

    fn arc(&mut self, from: usize, to: usize, cap: i32) -> usize {
        let a = self.head.len();
        self.head.push(to as u32);
        self.cap.push(cap);
        self.flow.push(0);
        self.fixed.push(false);
        self.head.push(from as u32);
        self.cap.push(0);
        self.flow.push(0);
        self.fixed.push(false);
        self.adj[from].push(a as u32);
        self.adj[to].push(a as u32 + 1);
        a
    }

    #[inline]
    fn residual(&self, a: usize) -> i32 {
        if a & 1 == 1 && self.fixed[a ^ 1] {
            // A fixed (accepted) arc may carry more but never less.
            return (self.cap[a] - self.flow[a])
                .min(self.flow[a ^ 1] - 1)
                .max(0);
        }
        self.cap[a] - self.flow[a]
    }

    fn push(&mut self, a: usize, f: i32) {
        self.flow[a] += f;
        self.flow[a ^ 1] -= f;
    }

    /// Dinic's maximum flow from s to t.
    fn max_flow(&mut self, s: usize, t: usize) -> i32 {
        let n = self.adj.len();
        let mut total = 0;
        let mut level = vec![u32::MAX; n];
        let mut it = vec![0usize; n];
        loop {
            level.iter_mut().for_each(|l| *l = u32::MAX);
            level[s] = 0;
            let mut q = std::collections::VecDeque::from([s]);
            while let Some(u) = q.pop_front() {
                for &a in &self.adj[u] {
                    let a = a as usize;
                    let v = self.head[a] as usize;
                    if level[v] == u32::MAX && self.residual(a) > 0 {
                        level[v] = level[u] + 1;
                        q.push_back(v);
                    }
                }
            }
            if level[t] == u32::MAX {
                return total;
            }
            it.iter_mut().for_each(|i| *i = 0);
            loop {
                let f = self.dfs(s, t, INF, &level, &mut it);
                if f == 0 {
                    break;
                }
                total += f;
            }
        }
    }

    /// Blocking-flow step, iterative (no recursion depth limit on long chains).
    fn dfs(&mut self, s: usize, t: usize, limit: i32, level: &[u32], it: &mut [usize]) -> i32 {
        let mut stack: Vec<usize> = Vec::new(); // arcs on the current path
        let mut u = s;
        loop {
            if u == t {
                let f = stack
                    .iter()
                    .map(|&a| self.residual(a))
                    .min()
                    .unwrap_or(limit)
                    .min(limit);
                for &a in &stack {
                    self.push(a, f);
                }
                return f;
            }
            let mut advanced = false;
            while it[u] < self.adj[u].len() {
                let a = self.adj[u][it[u]] as usize;
                let v = self.head[a] as usize;
                if self.residual(a) > 0 && level[v] == level[u] + 1 {
                    stack.push(a);
                    u = v;
                    advanced = true;
                    break;
                }
                it[u] += 1;
            }
            if !advanced {
                if u == s {
                    return 0;
                }
                // Dead end: retreat and skip the arc that led here.
                let a = stack.pop().expect("non-empty below s");
                u = self.head[a ^ 1] as usize;
                it[u] += 1;
            }
        }
    }
}

/// Arcs of one visit.
#[derive(Debug, Clone)]
struct VisitArcs {
    /// (person, group, role) -> the arc whose use means "takes this place here".
    /// Sorted by key (a small map; a sorted vector is lighter than a tree for millions of
    /// visits).
    arcs: Vec<((usize, usize, Role), usize)>,
}

/// Keeps a lawful assignment of every team and accepts candidates only when a lawful assignment
/// still exists with them (SPEC.md §5.5 step 5).
#[derive(Debug, Clone)]
pub struct Assigner {
    net: Net,
    s: usize,
    person_node: Vec<usize>,
    source_arc: Vec<usize>,
    arcs: Vec<VisitArcs>,
    fixed_load: Vec<u32>,
    caps: Vec<u32>,
    t: usize,
    stamp: Vec<u32>,
    parent: Vec<u32>,
    stamp_b: Vec<u32>,
    parent_b: Vec<u32>,
    generation: u32,
    /// Connected component of each node in the network without S and T, and the people of
    /// each component: a residual path that leaves S never enters S or T again, so after S only
    /// the goal's component matters.
    comp: Vec<u32>,
    comp_people: Vec<Vec<usize>>,
    /// Per visit and group: officer places still open, and which departments still lack an
    /// officer (a quick necessary condition, checked before the search).
    open: Vec<Vec<(u32, Vec<bool>)>>,
    /// Per visit: (person, group) -> department index of an officer candidate.
    dept: Vec<Vec<((usize, usize), usize)>>,
}

impl Assigner {
    /// Builds the network and finds a lawful assignment, or returns a Hall certificate when none
    /// exists.
    ///
    /// # Errors
    ///
    /// A [`HallCertificate`] when no lawful assignment exists: a set of places that needs more
    /// people than those who may fill them can give.
    pub fn new(p: &Problem) -> Result<Assigner, HallCertificate> {
        let mut net = Net::new(2 + p.caps.len());
        let (s, t) = (0, 1);
        let person_node: Vec<usize> = (0..p.caps.len()).map(|i| 2 + i).collect();
        let source_arc: Vec<usize> = p
            .caps
            .iter()
            .enumerate()
            .map(|(i, &c)| net.arc(s, person_node[i], clamp(c)))
            .collect();
        let mut demand = 0i32;
        let mut arcs = Vec::with_capacity(p.visits.len());
        // Place nodes per visit, for the certificate: (node, group).
        let mut place_nodes: Vec<(usize, PlaceGroup)> = Vec::new();
        for (vi, visit) in p.visits.iter().enumerate() {
            // Every (person, place node) candidacy of the visit; a person with more than one
            // goes through a pair node of capacity 1 (one place per visit).
            let mut cands: Vec<(usize, usize, usize, Role)> = Vec::new(); // (person, node, group, role)
            for (gi, v) in visit.groups.iter().enumerate() {
                let nd = v.departments.len() as u32;
                assert!(nd <= v.officers, "more departments than officer places");
                let vnode = net.node();
                net.arc(vnode, t, clamp(v.officers - nd));
                place_nodes.push((
                    vnode,
                    PlaceGroup {
                        visit: vi,
                        group: gi,
                        kind: PlaceKind::Officer,
                        count: v.officers - nd,
                    },
                ));
                let mut dnodes = Vec::new();
                for d in 0..v.departments.len() {
                    let dn = net.node();
                    net.arc(dn, t, 1);
                    net.arc(dn, vnode, INF);
                    dnodes.push(dn);
                    place_nodes.push((
                        dn,
                        PlaceGroup {
                            visit: vi,
                            group: gi,
                            kind: PlaceKind::Department(d),
                            count: 1,
                        },
                    ));
                }
                demand += clamp(v.officers + v.experts);
                for &(o, d) in &v.officer_candidates {
                    let node = match d {
                        Some(d) => dnodes[d],
                        None => vnode,
                    };
                    cands.push((o, node, gi, Role::Officer));
                }
                if v.experts > 0 {
                    let x = net.node();
                    net.arc(x, t, clamp(v.experts));
                    place_nodes.push((
                        x,
                        PlaceGroup {
                            visit: vi,
                            group: gi,
                            kind: PlaceKind::Expert,
                            count: v.experts,
                        },
                    ));
                    for &o in &v.expert_candidates {
                        cands.push((o, x, gi, Role::Expert));
                    }
                }
            }
            cands.sort_unstable();
            let mut va = VisitArcs {
                arcs: Vec::with_capacity(cands.len()),
            };
            for chunk in cands.chunk_by(|a, b| a.0 == b.0) {
                let o = chunk[0].0;
                let on = person_node[o];
                if chunk.len() == 1 {
                    let (_, node, g, r) = chunk[0];
                    va.arcs.push(((o, g, r), net.arc(on, node, 1)));
                } else {
                    let pair = net.node();
                    net.arc(on, pair, 1);
                    for &(_, node, g, r) in chunk {
                        va.arcs.push(((o, g, r), net.arc(pair, node, 1)));
                    }
                }
            }
            va.arcs.sort_unstable();
            arcs.push(va);
        }
        let flow = net.max_flow(s, t);
        if flow < demand {
            return Err(Self::certificate(&net, s, p, &place_nodes));
        }
        let n = net.adj.len();
        let comp = components(&net, s, t);
        let mut comp_people: Vec<Vec<usize>> = Vec::new();
        for (o, &node) in person_node.iter().enumerate() {
            let c = comp[node] as usize;
            if comp_people.len() <= c {
                comp_people.resize(c + 1, Vec::new());
            }
            comp_people[c].push(o);
        }
        let open = p
            .visits
            .iter()
            .map(|v| {
                v.groups
                    .iter()
                    .map(|g| (g.officers, vec![true; g.departments.len()]))
                    .collect()
            })
            .collect();
        let dept = p
            .visits
            .iter()
            .map(|v| {
                v.groups
                    .iter()
                    .enumerate()
                    .flat_map(|(gi, g)| {
                        g.officer_candidates
                            .iter()
                            .filter_map(move |&(o, d)| d.map(|d| ((o, gi), d)))
                    })
                    .collect::<Vec<_>>()
            })
            .map(|mut v: Vec<_>| {
                v.sort_unstable();
                v
            })
            .collect();
        Ok(Assigner {
            open,
            dept,
            comp,
            comp_people,
            net,
            s,
            person_node,
            source_arc,
            arcs,
            fixed_load: vec![0; p.caps.len()],
            caps: p.caps.clone(),
            t,
            stamp: vec![0; n],
            parent: vec![0; n],
            stamp_b: vec![0; n],
            parent_b: vec![0; n],
            generation: 0,
        })
    }

    /// The Hall certificate read off a minimum cut: the place nodes not reachable from S.
    fn certificate(
        net: &Net,
        s: usize,
        p: &Problem,
        place_nodes: &[(usize, PlaceGroup)],
    ) -> HallCertificate {
        let mut seen = vec![false; net.adj.len()];
        seen[s] = true;
        let mut stack = vec![s];
        while let Some(u) = stack.pop() {
            for &a in &net.adj[u] {
                let a = a as usize;
                let v = net.head[a] as usize;
                if !seen[v] && net.residual(a) > 0 {
                    seen[v] = true;
                    stack.push(v);
                }
            }
        }
        let places: Vec<PlaceGroup> = place_nodes
            .iter()
            .filter(|(n, g)| !seen[*n] && g.count > 0)
            .map(|(_, g)| g.clone())
            .collect();
        let mut visits_of: BTreeMap<usize, std::collections::BTreeSet<usize>> = BTreeMap::new();
        for g in &places {
            let v = &p.visits[g.visit].groups[g.group];
            match g.kind {
                PlaceKind::Department(d) => v
                    .officer_candidates
                    .iter()
                    .filter(|c| c.1 == Some(d))
                    .for_each(|c| {
                        visits_of.entry(c.0).or_default().insert(g.visit);
                    }),
                PlaceKind::Officer => v.officer_candidates.iter().for_each(|c| {
                    visits_of.entry(c.0).or_default().insert(g.visit);
                }),
                PlaceKind::Expert => v.expert_candidates.iter().for_each(|&o| {
                    visits_of.entry(o).or_default().insert(g.visit);
                }),
            }
        }
        let supply = visits_of
            .into_iter()
            .map(|(person, vs)| Supply {
                person,
                cap: p.caps[person],
                visits: vs.len() as u32,
            })
            .collect();
        HallCertificate { places, supply }
    }

    /// Accepts `person` for `role` in `visit` if some lawful assignment of every team uses it
    /// together with everything accepted before; returns whether it was accepted. A person who is
    /// not a candidate for that role there is refused.
    pub fn try_accept(&mut self, visit: usize, group: usize, person: usize, role: Role) -> bool {
        let arcs = &self.arcs[visit].arcs;
        let Ok(k) = arcs.binary_search_by_key(&(person, group, role), |x| x.0) else {
            return false;
        };
        let a = arcs[k].1;
        if self.net.fixed[a] {
            return false; // already accepted: a person takes one place per team
        }
        if self.fixed_load[person] >= self.caps[person] {
            return false;
        }
        // Officer places left after this one must cover the departments still without one.
        let d = self.dept[visit]
            .binary_search_by_key(&(person, group), |x| x.0)
            .ok()
            .map(|k| self.dept[visit][k].1);
        if role == Role::Officer {
            let (open, lacking) = &self.open[visit][group];
            let still = lacking.iter().filter(|&&x| x).count() as u32
                - u32::from(d.is_some_and(|d| lacking[d]));
            if *open == 0 || open - 1 < still {
                return false;
            }
        }
        if self.net.flow[a] == 0 && !self.reroute(a) {
            return false;
        }
        self.net.fixed[a] = true;
        self.fixed_load[person] += 1;
        if role == Role::Officer {
            let (open, lacking) = &mut self.open[visit][group];
            *open -= 1;
            if let Some(d) = d {
                lacking[d] = false;
            }
        }
        true
    }

    /// Looks for a residual path from the head of arc `a` back to its tail; if found, pushes one
    /// unit around the cycle (path + `a`), so that the flow stays lawful and uses `a`.
    fn reroute(&mut self, a: usize) -> bool {
        let from = self.net.head[a] as usize;
        let goal = self.net.head[a ^ 1] as usize;
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|x| *x = 0);
            self.stamp_b.iter_mut().for_each(|x| *x = 0);
            self.generation = 1;
        }
        let g = self.generation;
        let t = self.t;
        let c = self.comp[goal] as usize;
        // Bidirectional breadth-first search: forward from `from`, backward from `goal`, one
        // level at a time on the smaller side, until the two meet. Only reachability matters.
        let mut fwd = vec![from];
        let mut bwd = vec![goal];
        self.stamp[from] = g;
        self.stamp_b[goal] = g;
        let skip = |e: usize| e == a || e == a ^ 1;
        let mut meet = if from == goal { Some(from) } else { None };
        while meet.is_none() && !fwd.is_empty() && !bwd.is_empty() {
            let mut next = Vec::new();
            if fwd.len() <= bwd.len() {
                'f: for &u in &fwd {
                    let mut visit = |this: &mut Self, e: usize, v: usize| -> bool {
                        if this.stamp[v] != g {
                            this.stamp[v] = g;
                            this.parent[v] = e as u32;
                            next.push(v);
                            if this.stamp_b[v] == g {
                                return true;
                            }
                        }
                        false
                    };
                    if u == self.s {
                        for i in 0..self.comp_people[c].len() {
                            let o = self.comp_people[c][i];
                            let sa = self.source_arc[o];
                            if self.net.residual(sa) > 0 && visit(self, sa, self.person_node[o]) {
                                meet = Some(self.person_node[o]);
                                break 'f;
                            }
                        }
                        continue;
                    }
                    for i in 0..self.net.adj[u].len() {
                        let e = self.net.adj[u][i] as usize;
                        let v = self.net.head[e] as usize;
                        if !skip(e) && self.net.residual(e) > 0 && visit(self, e, v) {
                            meet = Some(v);
                            break 'f;
                        }
                    }
                }
                fwd = next;
            } else {
                'b: for &u in &bwd {
                    let mut visit = |this: &mut Self, e: usize, v: usize| -> bool {
                        // `e` runs v -> u.
                        if this.stamp_b[v] != g {
                            this.stamp_b[v] = g;
                            this.parent_b[v] = e as u32;
                            next.push(v);
                            if this.stamp[v] == g {
                                return true;
                            }
                        }
                        false
                    };
                    if u == self.s {
                        // Predecessors of S: people of the component who carry flow.
                        for i in 0..self.comp_people[c].len() {
                            let o = self.comp_people[c][i];
                            let back = self.source_arc[o] ^ 1;
                            if self.net.residual(back) > 0 && visit(self, back, self.person_node[o])
                            {
                                meet = Some(self.person_node[o]);
                                break 'b;
                            }
                        }
                        continue;
                    }
                    for i in 0..self.net.adj[u].len() {
                        let e = self.net.adj[u][i] as usize;
                        let v = self.net.head[e] as usize;
                        if v != t
                            && !skip(e)
                            && self.net.residual(e ^ 1) > 0
                            && visit(self, e ^ 1, v)
                        {
                            meet = Some(v);
                            break 'b;
                        }
                    }
                }
                bwd = next;
            }
        }
        let Some(m) = meet else {
            return false;
        };
        // from -> m along forward parents, m -> goal along backward parents.
        let mut v = m;
        while v != from {
            let e = self.parent[v] as usize;
            self.net.push(e, 1);
            v = self.net.head[e ^ 1] as usize;
        }
        let mut v = m;
        while v != goal {
            let e = self.parent_b[v] as usize;
            self.net.push(e, 1);
            v = self.net.head[e] as usize;
        }
        self.net.push(a, 1);
        true
    }
}

/// Places of a certificate, named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPlaces {
    /// Task id.
    pub task: String,
    /// Enterprise id.
    pub enterprise: String,
    /// The department whose reserved place this is (`None`: officer or expert places).
    pub department: Option<String>,
    /// True for expert places.
    pub expert: bool,
    /// How many places.
    pub count: u32,
}

/// Why no lawful assignment exists, in names: the places, every person eligible for any of
/// them with their cap and the number of these visits they may serve, and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Infeasibility {
    /// The whole message, for people.
    pub message: String,
    /// The places (their sum is the demand).
    pub places: Vec<NamedPlaces>,
    /// (officer id, cap, visits): each supplies min(cap, visits).
    pub supply: Vec<(String, u32, u32)>,
}

impl fmt::Display for Infeasibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Union-find components of the network without S and T.
fn components(net: &Net, s: usize, t: usize) -> Vec<u32> {
    let n = net.adj.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(p: &mut [u32], mut x: u32) -> u32 {
        while p[x as usize] != x {
            p[x as usize] = p[p[x as usize] as usize];
            x = p[x as usize];
        }
        x
    }
    for a in (0..net.head.len()).step_by(2) {
        let (u, v) = (net.head[a + 1], net.head[a]);
        if [u, v].iter().any(|&x| x as usize == s || x as usize == t) {
            continue;
        }
        let (ru, rv) = (find(&mut parent, u), find(&mut parent, v));
        if ru != rv {
            parent[ru as usize] = rv;
        }
    }
    let mut id = vec![u32::MAX; n];
    let mut next = 0;
    let mut comp = vec![u32::MAX; n];
    for (x, c) in comp.iter_mut().enumerate() {
        if x == s || x == t {
            continue;
        }
        let r = find(&mut parent, x as u32) as usize;
        if id[r] == u32::MAX {
            id[r] = next;
            next += 1;
        }
        *c = id[r];
    }
    comp
}

/// Names used to write a certificate for people.
pub struct Names<'a> {
    /// Person ids.
    pub people: &'a [String],
    /// Per visit and group: a label such as `task radio, enterprise 9112...`.
    pub visits: &'a [Vec<String>],
    /// Per visit and group: department names.
    pub departments: &'a [Vec<Vec<String>>],
}

/// Writes a Hall certificate so that a person can check it by hand.
pub fn describe(c: &HallCertificate, n: &Names<'_>) -> String {
    struct D<'a, 'b>(&'a HallCertificate, &'a Names<'b>);
    impl fmt::Display for D<'_, '_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let (c, n) = (self.0, self.1);
            write!(
                f,
                "these {} places need {} people but the officers eligible for them can supply at most {} (Hall's condition fails): places:",
                c.places.len(),
                c.demand(),
                c.supply_total()
            )?;
            for g in &c.places {
                let what = match &g.kind {
                    PlaceKind::Department(d) => {
                        format!("1 officer of {}", n.departments[g.visit][g.group][*d])
                    }
                    PlaceKind::Officer => {
                        format!("{} officer place(s) (any eligible officer)", g.count)
                    }
                    PlaceKind::Expert => format!("{} expert place(s)", g.count),
                };
                write!(f, " [{}: {what}]", n.visits[g.visit][g.group])?;
            }
            write!(
                f,
                "; eligible people (each supplies min(cap, visits among these)):"
            )?;
            for s in &c.supply {
                write!(
                    f,
                    " {} (cap {}, {} visits → {})",
                    n.people[s.person],
                    s.cap,
                    s.visits,
                    s.cap.min(s.visits)
                )?;
            }
            write!(f, "; total {} < {}", c.supply_total(), c.demand())
        }
    }
    D(c, n).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(officers: u32, cands: &[usize]) -> VisitSpec {
        VisitSpec {
            groups: vec![GroupSpec {
                officers,
                officer_candidates: cands.iter().map(|&o| (o, None)).collect(),
                ..Default::default()
            }],
        }
    }

    #[test]
    fn greedy_trap_is_avoided() {
        // Person 0 may serve both visits but has cap 1; visit 1 has only 0 and 1.
        let p = Problem {
            caps: vec![1, 1, 2],
            visits: vec![visit(2, &[0, 1, 2]), visit(2, &[0, 2])],
        };
        let mut a = Assigner::new(&p).unwrap();
        assert!(!a.try_accept(0, 0, 0, Role::Officer));
        assert!(a.try_accept(0, 0, 1, Role::Officer));
        assert!(a.try_accept(0, 0, 2, Role::Officer));
        assert!(a.try_accept(1, 0, 0, Role::Officer));
        assert!(a.try_accept(1, 0, 2, Role::Officer));
    }

    #[test]
    fn infeasible_gives_checkable_certificate() {
        let p = Problem {
            caps: vec![1, 1, 5],
            visits: vec![visit(2, &[0, 2]), visit(2, &[1, 2]), visit(2, &[0, 1, 2])],
        };
        let c = Assigner::new(&p).unwrap_err();
        assert!(c.check(&p), "{c:?}");
    }
}
