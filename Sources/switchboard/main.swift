import SwitchboardCommand

print(SwitchboardCommandModule.name)
