/** The CPU backend runs the backend conformance suite. */
import { CpuBackend } from "../../model/cpu_backend.ts";
import { backendConformance } from "./_backend_cases.ts";

backendConformance("cpu", new CpuBackend(), "always available");
