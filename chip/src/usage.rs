//! What each projection of a network costs a core (`spikefab inspect`): its
//! synapse-memory words as the image lays them out (`crate::image`, spec
//! §8.3) and its routing clocks per presynaptic spike (spec §7.2), so that a
//! network that does not fit says which projection to cut.
//!
//! A projection here is a (presynaptic population, postsynaptic population)
//! pair, `in -> exc`: the network keeps its synapses by source, not by the
//! file's `[[projection]]` section, so two sections between the same
//! populations count as one.

use spikefab_sim::cycles::{CycleCosts, RUN_MAX};
use spikefab_sim::network::PopulationKind;
use spikefab_sim::Network;

/// One projection's cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionUsage {
    /// The presynaptic population (`?` outside every population).
    pub pre: String,
    /// The postsynaptic population.
    pub post: String,
    /// Synapses (one word each).
    pub synapses: u64,
    /// Of which plastic (each with a fraction word too).
    pub plastic: u64,
    /// Run headers counted to it: each run's, to the projection of the
    /// run's first synapse.
    pub headers: u64,
    /// Fan-in words: two per plastic synapse, and each postsynaptic
    /// neuron's fan-in header, to the projection of its first plastic input.
    pub fanin: u64,
}

/// A projection's name: `pre -> post` by population name.
pub fn projection_name(pre: &str, post: &str) -> String {
    format!("{pre} -> {post}")
}

impl ProjectionUsage {
    /// Its name, `pre -> post`.
    pub fn name(&self) -> String {
        projection_name(&self.pre, &self.post)
    }

    /// Synapse-memory words in all.
    pub fn words(&self) -> u64 {
        self.synapses + self.plastic + self.headers + self.fanin
    }

    /// The words it would need fewer if its synapses were fixed: their
    /// fraction words and fan-in lists.
    pub fn plastic_words(&self) -> u64 {
        self.plastic + self.fanin
    }

    /// Routing clocks of one presynaptic spike that reaches all of this
    /// projection's synapses from one source, on average (`synapses` and
    /// headers spread over the pre population's `sources`; the fixed
    /// `C_route` per source is not a projection's).
    pub fn clocks_per_spike(&self, sources: u64, costs: &CycleCosts, learning: bool) -> f64 {
        let variable = costs.route_cost(self.headers, self.synapses, self.plastic, learning) - costs.route as u64;
        variable as f64 / sources.max(1) as f64
    }
}

/// Every projection's cost, in order of first appearance (canonical order).
pub fn projections(net: &Network) -> Vec<ProjectionUsage> {
    let syn = net.synapses();
    let mut out: Vec<ProjectionUsage> = Vec::new();
    // Keyed by the population names, borrowed: no string made per synapse.
    let mut index_of = std::collections::HashMap::<(&str, &str), usize>::new();
    fn slot<'a>(
        index_of: &mut std::collections::HashMap<(&'a str, &'a str), usize>,
        out: &mut Vec<ProjectionUsage>,
        pre: &'a str,
        post: &'a str,
    ) -> usize {
        *index_of.entry((pre, post)).or_insert_with(|| {
            out.push(ProjectionUsage {
                pre: pre.to_string(),
                post: post.to_string(),
                synapses: 0,
                plastic: 0,
                headers: 0,
                fanin: 0,
            });
            out.len() - 1
        })
    }
    fn name(p: Option<&spikefab_sim::network::Population>) -> &str {
        p.map_or("?", |p| p.name.as_str())
    }
    // The projection of each synapse, for the fan-in lists.
    let mut of_synapse = vec![0usize; syn.len()];
    for s in 0..net.num_sources() {
        let row = syn.row(s as usize);
        let (lo, hi) = (row.start, row.end);
        let pre = name(net.source_population(s));
        let mut run_start = lo;
        for (i, of) in of_synapse.iter_mut().enumerate().take(hi).skip(lo) {
            let post = name(net.population_of(PopulationKind::Neurons, syn.target(i)));
            let k = slot(&mut index_of, &mut out, pre, post);
            *of = k;
            out[k].synapses += 1;
            if syn.plastic(i) {
                out[k].plastic += 1;
                out[k].fanin += 2;
            }
            // The image's runs: equal (delay, flags), at most RUN_MAX long.
            let new_run = i == lo || syn.kind(i) != syn.kind(i - 1) || i - run_start >= RUN_MAX as usize;
            if new_run {
                run_start = i;
                out[k].headers += 1;
            }
        }
    }
    for n in 0..net.num_neurons() as usize {
        if let Some(&(first, _)) = syn.fanin_of(n).first() {
            out[of_synapse[first as usize]].fanin += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CoreConfig;
    use crate::image::{Image, RESERVED_WORDS};

    /// The projections' words add up to the image's synapse memory, for the
    /// examples and a network with long runs.
    #[test]
    fn the_projections_words_are_the_images() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        for name in ["stdp_homeostasis.toml", "link_burst.toml"] {
            let net = spikefab_sim::config::load(&dir.join(name)).unwrap().network;
            let usage = projections(&net);
            let words: u64 = usage.iter().map(ProjectionUsage::words).sum();
            let synapses: u64 = usage.iter().map(|p| p.synapses).sum();
            assert_eq!(synapses, net.num_synapses(), "{name}");
            let image = Image::new(&net, CoreConfig::UP5K).unwrap_or_else(|e| panic!("{name}: {e}"));
            // Sources without synapses point at the reserved empty run.
            assert_eq!(
                words + RESERVED_WORDS as u64,
                image.syn.len() as u64,
                "{name}: {usage:?}"
            );
        }
    }

    #[test]
    fn a_plastic_projection_costs_three_words_a_synapse_and_its_headers() {
        let text = "[learning]\npre_decay = 1024\npost_decay = 1024\npre_bump = 64\npost_bump = 64\na_plus = 8\n\
                    a_minus = 8\nlr_shift = 4\nw_min = 0\nw_max = 100\n\n[[input]]\nname = \"in\"\nsize = 4\n\
                    spikes = [[0, 1]]\n\n[[population]]\nname = \"exc\"\nsize = 8\n\n[[projection]]\n\
                    from = \"in\"\nto = \"exc\"\nconnect = { rule = \"all_to_all\" }\nweight = 5\nplastic = true\n";
        let net = spikefab_sim::config::parse_toml(text, None).unwrap().network;
        let usage = projections(&net);
        assert_eq!(
            usage,
            vec![ProjectionUsage {
                pre: "in".into(),
                post: "exc".into(),
                synapses: 32,
                plastic: 32,
                headers: 4,
                fanin: 64 + 8,
            }]
        );
        // A spike of one source: 8 synapses, one header, 8 depressions.
        let costs = CycleCosts::CORE_V1;
        let per = usage[0].clocks_per_spike(4, &costs, true);
        assert_eq!(per, (costs.run + 8 * costs.synapse + 8 * costs.depress) as f64);
    }
}
