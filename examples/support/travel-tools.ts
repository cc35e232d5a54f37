/**
 * The two tools the demo's and the examples' agents use. They answer from a fixed table, so runs
 * are deterministic and offline.
 */
import { tool } from "langchain";
import { z } from "zod";

const WEATHER: Record<string, string> = {
  Paris: "18°C, sunny",
  Rome: "24°C, clear",
  Oslo: "6°C, rain",
};
const TIMEZONE: Record<string, string> = {
  Paris: "Europe/Paris",
  Rome: "Europe/Rome",
  Oslo: "Europe/Oslo",
};

/** Current weather for a city. */
export const getWeather = tool(
  async ({ city }: { city: string }) => `weather in ${city}: ${WEATHER[city] ?? "unknown"}`,
  {
    name: "get_weather",
    description: "Current weather for a city",
    schema: z.object({ city: z.string().describe("City name, e.g. Paris") }),
  },
);

/** Local time zone of a city (fixed answers keep the demo output stable). */
export const getLocalTime = tool(
  async ({ city }: { city: string }) => `time zone of ${city}: ${TIMEZONE[city] ?? "unknown"}`,
  {
    name: "get_local_time",
    description: "Time zone of a city",
    schema: z.object({ city: z.string().describe("City name, e.g. Paris") }),
  },
);

export const travelTools = [getWeather, getLocalTime];
