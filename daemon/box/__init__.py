"""The `vigie run` process: service loop, panic button, GPIO, sd_notify."""
