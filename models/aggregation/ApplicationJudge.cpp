// SPDX-License-Identifier: GPL-3.0-or-later
#include "ApplicationJudge.h"

namespace BucketScope {

void ApplicationJudge::setRules(std::optional<Attribution> rules)
{
    m_rules = std::move(rules);
    m_keys = m_rules && m_rules->looksAt(Attribution::Field::Key);
    m_referers = m_rules && m_rules->looksAt(Attribution::Field::Referer);
    forgetTexts();
    m_names.clear();
    m_indexes.clear();
    m_unattributed = applicationIndex(std::string(Attribution::kUnattributed));
}

void ApplicationJudge::forgetTexts()
{
    m_keyJudgements.clear();
    m_refererJudgements.clear();
}

int ApplicationJudge::applicationIndex(const std::string &name)
{
    const auto [it, added] = m_indexes.emplace(name, int(m_names.size()));
    if (added)
        m_names.push_back(name);
    return it->second;
}

ApplicationJudge::Judgement ApplicationJudge::judge(std::unordered_map<qint64, Judgement> &judged,
                                                    Attribution::Field field, qint64 id,
                                                    std::string_view text)
{
    // As the summaries' reading of rollup_day_objects: a missing or empty value matches no rule.
    if (id < 0 || text.empty())
        return {};
    if (const auto it = judged.find(id); it != judged.end())
        return it->second;
    if (judged.size() >= kMaxJudged)
        judged.clear();
    Judgement judgement;
    const Attribution::Match match = m_rules->match(field, text);
    judgement.rule = match.rule;
    if (match.rule != Attribution::Match::kNone)
        judgement.application = applicationIndex(match.application);
    judged.emplace(id, judgement);
    return judgement;
}

int ApplicationJudge::applicationOf(qint64 key, std::string_view keyText, qint64 referer,
                                    std::string_view refererText)
{
    const Judgement byKey =
        m_keys ? judge(m_keyJudgements, Attribution::Field::Key, key, keyText) : Judgement{};
    const Judgement byReferer =
        m_referers ? judge(m_refererJudgements, Attribution::Field::Referer, referer, refererText)
                   : Judgement{};
    // The earlier rule wins; on a tie (no match on either) the key's, as Attribution::match(Request).
    const Judgement &first = byReferer.rule < byKey.rule ? byReferer : byKey;
    return first.rule == Attribution::Match::kNone ? m_unattributed : first.application;
}

} // namespace BucketScope
