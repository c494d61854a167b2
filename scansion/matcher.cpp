#include "scansion/matcher.hpp"

#include <fmt/core.h>

#include <cstring>
#include <functional>
#include <string_view>

#include "scansion/xml.hpp"

namespace mucd::scansion {

namespace {

constexpr std::size_t kShortElement = 120;

std::vector<pugi::xml_node> element_children(pugi::xml_node node) {
  std::vector<pugi::xml_node> children;
  for (auto child : node.children()) {
    if (child.type() == pugi::node_element) children.push_back(child);
  }
  return children;
}

bool is_scansion_attribute(const char* name) {
  return std::strncmp(name, "scansion:", 9) == 0;
}

// The expected element as the script wrote it, minus directives, shortened when long.
std::string describe(pugi::xml_node node) {
  pugi::xml_document copy;
  auto root = copy.append_copy(node);
  std::function<void(pugi::xml_node)> strip = [&](pugi::xml_node n) {
    for (auto attr = n.first_attribute(); attr;) {
      auto next = attr.next_attribute();
      if (is_scansion_attribute(attr.name())) n.remove_attribute(attr);
      attr = next;
    }
    for (auto child : n.children()) {
      if (child.type() == pugi::node_element) strip(child);
    }
  };
  strip(root);
  auto text = compact(root);
  if (text.size() <= kShortElement) return text;
  auto tag = start_tag(root);
  tag.resize(tag.size() - 2);  // drop "/>"
  return fmt::format("{}>...</{}>", tag, root.name());
}

struct Evaluation {
  bool matched = false;
  int score = 0;
  std::vector<std::string> differences;
  std::vector<int> pairing;  // see pair_children
};

// Kuhn's augmenting paths: pairs each expected child with a distinct received child it matches.
class BipartiteMatching {
 public:
  explicit BipartiteMatching(const std::vector<std::vector<bool>>& ok)
      : ok_(ok), right_(ok.empty() ? 0 : ok.front().size(), -1), left_(ok.size(), -1) {
    for (std::size_t i = 0; i < ok_.size(); ++i) {
      std::vector<bool> seen(right_.size(), false);
      augment(i, seen);
    }
  }
  const std::vector<int>& pairing() const { return left_; }

 private:
  bool augment(std::size_t i, std::vector<bool>& seen) {
    for (std::size_t j = 0; j < right_.size(); ++j) {
      if (!ok_[i][j] || seen[j]) continue;
      seen[j] = true;
      if (right_[j] < 0 || augment(static_cast<std::size_t>(right_[j]), seen)) {
        right_[j] = static_cast<int>(i);
        left_[i] = static_cast<int>(j);
        return true;
      }
    }
    return false;
  }

  const std::vector<std::vector<bool>>& ok_;
  std::vector<int> right_;
  std::vector<int> left_;
};

Evaluation evaluate(pugi::xml_node expected, pugi::xml_node received, const std::string& parent) {
  Evaluation out;
  const std::string path = fmt::format("{}/{}", parent, expected.name());
  auto differ = [&](std::string what) { out.differences.push_back(path + ": " + what); };

  if (std::strcmp(expected.name(), received.name()) != 0) {
    differ(fmt::format("element name: expected <{}>, got <{}>", expected.name(), received.name()));
    return out;
  }
  ++out.score;

  for (auto attr : expected.attributes()) {
    const char* name = attr.name();
    if (std::strcmp(name, "xmlns") == 0) {
      auto got = namespace_of(received);
      if (got == attr.value()) {
        ++out.score;
      } else {
        differ(fmt::format("namespace: expected \"{}\", got \"{}\"", attr.value(), got));
      }
      continue;
    }
    if (is_meta_attribute(name)) continue;
    auto got = received.attribute(name);
    if (!got) {
      differ(fmt::format("attribute {}: expected \"{}\", missing", name, attr.value()));
    } else if (std::strcmp(attr.value(), kAnyValue) == 0 ||
               std::strcmp(attr.value(), got.value()) == 0) {
      ++out.score;
    } else {
      differ(fmt::format("attribute {}: expected \"{}\", got \"{}\"", name, attr.value(),
                         got.value()));
    }
  }

  auto want_text = std::string(trim(text_of(expected)));
  if (!want_text.empty()) {
    auto got_text = std::string(trim(text_of(received)));
    if (want_text == got_text) {
      ++out.score;
    } else {
      differ(fmt::format("text: expected \"{}\", got \"{}\"", escape(want_text), escape(got_text)));
    }
  }

  auto want = element_children(expected);
  auto got = element_children(received);
  std::vector<std::vector<Evaluation>> sub(want.size(), std::vector<Evaluation>(got.size()));
  std::vector<std::vector<bool>> ok(want.size(), std::vector<bool>(got.size(), false));
  for (std::size_t i = 0; i < want.size(); ++i) {
    for (std::size_t j = 0; j < got.size(); ++j) {
      if (std::strcmp(want[i].name(), got[j].name()) != 0) continue;
      sub[i][j] = evaluate(want[i], got[j], path);
      ok[i][j] = sub[i][j].matched;
    }
  }
  out.pairing = BipartiteMatching(ok).pairing();
  std::vector<bool> used(got.size(), false);
  for (int j : out.pairing) {
    if (j >= 0) used[static_cast<std::size_t>(j)] = true;
  }
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (out.pairing[i] >= 0) {
      out.score += sub[i][static_cast<std::size_t>(out.pairing[i])].score;
      continue;
    }
    int best = -1;
    for (std::size_t j = 0; j < got.size(); ++j) {
      if (used[j] || std::strcmp(want[i].name(), got[j].name()) != 0) continue;
      if (best < 0 || sub[i][j].score > sub[i][static_cast<std::size_t>(best)].score) {
        best = static_cast<int>(j);
      }
    }
    if (best < 0) {
      differ(fmt::format("missing child {}", describe(want[i])));
      continue;
    }
    used[static_cast<std::size_t>(best)] = true;
    out.pairing[i] = best;
    const auto& near = sub[i][static_cast<std::size_t>(best)];
    out.score += near.score;
    out.differences.insert(out.differences.end(), near.differences.begin(), near.differences.end());
  }

  if (std::strcmp(expected.attribute("scansion:strict").value(), "true") == 0) {
    if (want.size() == got.size()) {
      ++out.score;
    } else {
      std::string extras;
      for (std::size_t j = 0; j < got.size(); ++j) {
        if (!used[j]) extras += " " + compact(got[j]);
      }
      differ(fmt::format("scansion:strict: expected {} child element{}, got {}{}", want.size(),
                         want.size() == 1 ? "" : "s", got.size(),
                         extras.empty() ? "" : "; extra:" + extras));
    }
  }

  out.matched = out.differences.empty();
  return out;
}

}  // namespace

bool is_meta_attribute(const char* name) {
  return std::strcmp(name, "xmlns") == 0 || std::strncmp(name, "xmlns:", 6) == 0 ||
         is_scansion_attribute(name);
}

MatchResult match(pugi::xml_node expected, pugi::xml_node received) {
  auto evaluation = evaluate(expected, received, "");
  return {evaluation.matched, evaluation.score, std::move(evaluation.differences)};
}

std::vector<int> pair_children(pugi::xml_node expected, pugi::xml_node received) {
  auto evaluation = evaluate(expected, received, "");
  if (evaluation.pairing.empty()) {
    // Names differ: nothing was compared below the top.
    evaluation.pairing.assign(element_children(expected).size(), -1);
  }
  return evaluation.pairing;
}

}  // namespace mucd::scansion
