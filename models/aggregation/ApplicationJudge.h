// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Attribution.h"

#include <QtGlobal>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace BucketScope {

// The application of (key, referer) pairs under attribution rules that look only at keys and referers:
// what the rollups count rollup_day_applications by (RollupWriter on an embedded store, MySqlRollups on
// a server). Each distinct key and referer id is judged once; the judgements are kept by id and
// forgotten at kMaxJudged (judged again when seen again). Applications are interned: their index
// names them (name()).
class ApplicationJudge
{
public:
    ApplicationJudge() { setRules(std::nullopt); }

    // Forgets every judgement and application; nullopt: no rules (applicationOf must not be called).
    void setRules(std::optional<Attribution> rules);
    const std::optional<Attribution> &rules() const { return m_rules; }
    bool looksAtKeys() const { return m_keys; }
    bool looksAtReferers() const { return m_referers; }

    // Ids below 0, or an empty text, are a '-' field, which no rule matches. The texts of a field the
    // rules do not look at are not read.
    int applicationOf(qint64 key, std::string_view keyText, qint64 referer, std::string_view refererText);
    const std::string &name(int application) const { return m_names[std::size_t(application)]; }
    // The ids may name other texts now (a rolled-back batch hands them out again).
    void forgetTexts();

    static constexpr std::size_t kMaxJudged = 100'000;

private:
    struct Judgement
    {
        int rule = Attribution::Match::kNone;
        int application = -1;
    };
    Judgement judge(std::unordered_map<qint64, Judgement> &judged, Attribution::Field field, qint64 id,
                    std::string_view text);
    int applicationIndex(const std::string &name);

    std::optional<Attribution> m_rules;
    bool m_keys = false, m_referers = false;
    std::unordered_map<qint64, Judgement> m_keyJudgements, m_refererJudgements;
    std::vector<std::string> m_names;
    std::unordered_map<std::string, int> m_indexes;
    int m_unattributed = -1;
};

} // namespace BucketScope
