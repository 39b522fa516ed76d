import WebSocketCore

print(WebSocketCoreModule.name)
