"""What obsgen does with the pipeline beyond building: diff, import, verify (the real tools),
drill, scaffold."""
