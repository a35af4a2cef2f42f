import { defineCommand } from "citty";
import echo from "./echo.ts";
import health from "./health.ts";

export default defineCommand({
  meta: { name: "call", description: "One-shot client for the Echo and Crypto services" },
  subCommands: { echo, health },
});
