"""What a chat user is told after clicking a feedback button, by the vote's outcome (one vote
per person and answer: the other button changes it, the same one repeats it)."""

VOTE_REPLIES = {
    "recorded": "Thank you: your feedback is recorded and helps improve the guide.",
    "changed": "Your feedback on this answer is changed: thank you.",
    "unchanged": "Your feedback on this answer is already recorded.",
}
