"""What bench/bots.py reports: per reply and per scenario, and three bots against one."""

from __future__ import annotations

from bench.stats import percentile, rounded


def summary(model, watches, bots, words, asked_at, cpu, client_cpu, session_count) -> dict:
    per_reply = {}
    first_frames_all: list[float] = []
    starts, ends = [], []
    for bot in bots:
        times = model.word_times.get(f"m{bot}", [])
        if not times:
            per_reply[f"bot{bot}"] = {"error": "the model server never streamed"}
            continue
        first_token, last_token = times[0], times[-1]
        starts.append(first_token)
        first_frames = [
            w.first_seen[bot][1] - first_token for w in watches if 1 in w.first_seen[bot]
        ]
        first_frames_all += first_frames
        rates = []
        for w in watches:
            end = w.first_seen[bot].get(words, last_token)
            ends.append(end)
            if end > first_token:
                rates.append(
                    sum(1 for t in w.reply_frames[bot] if first_token <= t <= end)
                    / (end - first_token)
                )
        per_reply[f"bot{bot}"] = {
            "words_streamed": len(times),
            "mention_to_first_token_s": rounded(first_token - asked_at, 3),
            "model_stream_s": rounded(last_token - first_token, 2),
            "first_frame_after_first_token_ms": _ms_summary(first_frames),
            "frames_per_session_per_s": {
                "p50": rounded(percentile(rates, 50)),
                "max": rounded(max(rates, default=0)),
            },
            "sessions_with_whole_reply": sum(1 for w in watches if w.top[bot] >= words),
        }
    window_rates = []
    if starts and ends:
        start, end = min(starts), max(ends)
        for w in watches:
            window_rates.append(
                sum(1 for t in w.frames if start <= t <= end) / max(end - start, 1e-9)
            )
    return {
        "bots": len(bots),
        "sessions": session_count,
        "words_per_reply": words,
        "per_reply": per_reply,
        "first_frame_after_first_token_ms": _ms_summary(first_frames_all),
        "frames_per_session_per_s_all_replies": {
            "p50": rounded(percentile(window_rates, 50)),
            "max": rounded(max(window_rates, default=0)),
        },
        "server_cpu_s": rounded(cpu, 2),
        "client_cpu_s": rounded(client_cpu, 2),
    }


def _ms_summary(seconds: list[float]) -> dict:
    return {
        "p50": rounded(1000 * (percentile(seconds, 50) or 0)),
        "p95": rounded(1000 * (percentile(seconds, 95) or 0)),
        "max": rounded(1000 * max(seconds)) if seconds else None,
    }


def compare(rounds: list[dict]) -> dict:
    """Per scenario, over rounds: the median of each round's p50s, and three bots against one."""

    def medians(key: str) -> dict:
        firsts = [r[key]["first_frame_after_first_token_ms"]["p50"] for r in rounds]
        firsts_p95 = [r[key]["first_frame_after_first_token_ms"]["p95"] for r in rounds]
        per_reply = [
            reply["frames_per_session_per_s"]["p50"]
            for r in rounds
            for reply in r[key]["per_reply"].values()
            if "frames_per_session_per_s" in reply
        ]
        per_reply_max = [
            reply["frames_per_session_per_s"]["max"]
            for r in rounds
            for reply in r[key]["per_reply"].values()
            if "frames_per_session_per_s" in reply
        ]
        all_replies = [r[key]["frames_per_session_per_s_all_replies"]["p50"] for r in rounds]
        return {
            "first_frame_after_first_token_ms_p50": percentile(firsts, 50),
            "first_frame_after_first_token_ms_p95": percentile(firsts_p95, 50),
            "frames_per_session_per_s_per_reply_p50": percentile(per_reply, 50),
            "frames_per_session_per_s_per_reply_max": max(per_reply_max, default=None),
            "frames_per_session_per_s_all_replies_p50": percentile(all_replies, 50),
        }

    one, three = medians("one_bot"), medians("three_bots")
    ratio = None
    if (
        one["first_frame_after_first_token_ms_p50"]
        and three["first_frame_after_first_token_ms_p50"]
    ):
        ratio = rounded(
            three["first_frame_after_first_token_ms_p50"]
            / one["first_frame_after_first_token_ms_p50"],
            2,
        )
    return {"one_bot": one, "three_bots": three, "first_frame_p50_three_over_one": ratio}
