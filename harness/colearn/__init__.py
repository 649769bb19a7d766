"""Co-learning: score a rollout with a process reward, relabel weak windows with a teacher, export shards,
fine-tune the student (LoRA) and swap the new weights in, without resetting the game."""
