"""The parts of benchmarks/fault_soak.py: writer processes, fault injectors, the check."""
