import { defineCommand } from "citty";
import echo from "./echo.ts";

export default defineCommand({
  meta: { name: "call", description: "One-shot client for the Echo and Crypto services" },
  subCommands: { echo },
});
