"""Flow-matching world models and flow ODE policies inside PWM's first-order model-based policy optimisation

Modules:

- `flow_mbpo.stages`: Stage A: a task-conditioned world model trained offline on a multitask dataset, what it is judged by, how stages hand over to each other, and a policy specialised on it."""

__version__ = "0.0.1"
